import { and, eq, isNull } from "drizzle-orm";
import { randomKey, sha256Hex } from "../core/hash";
import { apiKeys, projects } from "../db/schema";
import type { Db } from "./db";

export interface ProjectSummary {
  id: string;
  name: string;
  created_at: number;
  api_key: string | null;
  secret_key_prefix: string | null;
}

export interface IssuedKey {
  kind: "ingest" | "secret";
  key: string;
}

function keyRow(projectId: string, kind: "ingest" | "secret", key: string, hash: string | null, now: number) {
  return {
    id: crypto.randomUUID(),
    projectId,
    kind,
    publicKey: kind === "ingest" ? key : null,
    secretHash: hash,
    prefix: key.slice(0, 6),
    createdAt: now,
  };
}

/** Creates a project with a fresh ingest key and secret key; the secret is returned once. */
export async function createProject(db: Db, id: string, name: string): Promise<{ apiKey: string; secretKey: string } | null> {
  const now = Date.now();
  const apiKey = randomKey();
  const secretKey = randomKey();
  if (await projectExists(db, id)) return null;
  await db.batch([
    db.insert(projects).values({ id, name, createdAt: now }),
    db.insert(apiKeys).values(keyRow(id, "ingest", apiKey, null, now)),
    db.insert(apiKeys).values(keyRow(id, "secret", secretKey, await sha256Hex(secretKey), now)),
  ]);
  return { apiKey, secretKey };
}

export async function projectExists(db: Db, id: string): Promise<boolean> {
  return (await db.select({ id: projects.id }).from(projects).where(eq(projects.id, id)).get()) !== undefined;
}

export async function listProjects(db: Db, id?: string): Promise<ProjectSummary[]> {
  const rows = await db
    .select({
      id: projects.id,
      name: projects.name,
      createdAt: projects.createdAt,
      kind: apiKeys.kind,
      publicKey: apiKeys.publicKey,
      prefix: apiKeys.prefix,
    })
    .from(projects)
    .leftJoin(apiKeys, and(eq(apiKeys.projectId, projects.id), isNull(apiKeys.revokedAt)))
    .where(id === undefined ? undefined : eq(projects.id, id))
    .orderBy(projects.createdAt);
  const byId = new Map<string, ProjectSummary>();
  for (const r of rows) {
    const p = byId.get(r.id) ?? { id: r.id, name: r.name, created_at: r.createdAt, api_key: null, secret_key_prefix: null };
    if (r.kind === "ingest") p.api_key = r.publicKey;
    if (r.kind === "secret") p.secret_key_prefix = r.prefix;
    byId.set(r.id, p);
  }
  return [...byId.values()];
}

/** Revokes the project's current key of `kind` and issues a new one. */
export async function rotateKey(db: Db, projectId: string, kind: "ingest" | "secret"): Promise<IssuedKey> {
  const now = Date.now();
  const key = randomKey();
  const hash = kind === "secret" ? await sha256Hex(key) : null;
  await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.projectId, projectId), eq(apiKeys.kind, kind), isNull(apiKeys.revokedAt))),
    db.insert(apiKeys).values(keyRow(projectId, kind, key, hash, now)),
  ]);
  return { kind, key };
}
