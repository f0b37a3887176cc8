import { and, desc, eq, isNull } from "drizzle-orm";
import { sha256Hex } from "../core/hash";
import { cacheNamespace } from "../core/isolate-cache";
import { apiKeys } from "../db/schema";
import type { Db } from "./db";

/**
 * Key → project lookups are on every ingest and read, so each isolate caches them.
 * A revoked key keeps working for at most `POSITIVE_TTL_MS` in isolates that saw it.
 */
const POSITIVE_TTL_MS = 60_000;
const NEGATIVE_TTL_MS = 5_000;
const cache = cacheNamespace<string | null>("api-keys", {
  maxEntries: 10_000,
  ttlMs: POSITIVE_TTL_MS,
  ttlOf: (v) => (v === null ? NEGATIVE_TTL_MS : POSITIVE_TTL_MS),
});

function cached(cacheKey: string, load: () => Promise<string | null>): Promise<string | null> {
  return cache.load(cacheKey, load);
}

/** The project whose public ingest key this is, or null. */
export function projectForIngestKey(db: Db, key: string): Promise<string | null> {
  return cached(`i:${key}`, async () => {
    const row = await db
      .select({ projectId: apiKeys.projectId })
      .from(apiKeys)
      .where(and(eq(apiKeys.publicKey, key), eq(apiKeys.kind, "ingest"), isNull(apiKeys.revokedAt)))
      .get();
    return row?.projectId ?? null;
  });
}

/** The project whose secret key this is, or null (only the hash is stored; the cache is per isolate). */
export async function projectForSecretKey(db: Db, secret: string): Promise<string | null> {
  return cached(`s:${secret}`, async () => {
    const hash = await sha256Hex(secret);
    const row = await db
      .select({ projectId: apiKeys.projectId })
      .from(apiKeys)
      .where(and(eq(apiKeys.secretHash, hash), eq(apiKeys.kind, "secret"), isNull(apiKeys.revokedAt)))
      .get();
    return row?.projectId ?? null;
  });
}

/** The project's current ingest key (the newest not revoked), or null: what a page's SDK names its cookies after. */
export function ingestKeyOf(db: Db, projectId: string): Promise<string | null> {
  return cached(`p:${projectId}`, async () => {
    const row = await db
      .select({ key: apiKeys.publicKey })
      .from(apiKeys)
      .where(and(eq(apiKeys.projectId, projectId), eq(apiKeys.kind, "ingest"), isNull(apiKeys.revokedAt)))
      .orderBy(desc(apiKeys.createdAt))
      .get();
    return row?.key ?? null;
  });
}

/** Drops cached lookups (after a rotation in this isolate). */
export function forgetKeys(): void {
  cache.clear();
}
