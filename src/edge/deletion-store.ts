import { and, desc, eq, gte, lte } from "drizzle-orm";
import { parseProfileKey, profileKey, type ProfileRef } from "../core/event";
import { randomKey } from "../core/hash";
import { deletionJobs, type DeletionTarget } from "../db/schema";
import { profileStub } from "../durable/stub";
import type { Db } from "./db";
import { AppError } from "./errors";

/** At most this many ids per request (Amplitude's limit). */
export const MAX_DELETION_IDS = 100;
const CONCURRENCY = 16;

export interface DeletionRequest {
  /** Requested ids as the caller named them: `user_id`, `device_id`, or a profile key (`amplitude_ids`). */
  ids: { label: string; ref: ProfileRef | null }[];
  requester: string | null;
  ignoreInvalid: boolean;
}

/** A profile key as Amplitude's `amplitude_ids` carries it (Tailor's "amplitude id" is the profile key). */
export function refOfKey(key: string): ProfileRef | null {
  try {
    const ref = parseProfileKey(key);
    return ref.id === "" ? null : ref;
  } catch {
    return null;
  }
}

/**
 * Resolves each requested id to the profile that holds its data (a linked device's
 * history lives in its user's profile, so the user is erased), records the job and
 * starts it. Unknown ids are a 400 naming them, unless `ignoreInvalid`.
 */
export async function createDeletion(env: Env, db: Db, projectId: string, req: DeletionRequest) {
  const owners: (string | null)[] = [];
  for (let i = 0; i < req.ids.length; i += CONCURRENCY) {
    const slice = req.ids.slice(i, i + CONCURRENCY);
    owners.push(
      ...(await Promise.all(
        slice.map(async ({ ref }) => {
          if (ref === null) return null;
          const profile = await profileStub(env, projectId, ref).getProfile();
          if (profile === null) return null;
          return profile.user_id !== null ? profileKey({ kind: "user", id: profile.user_id }) : profileKey(ref);
        }),
      )),
    );
  }
  const skipped = req.ids.filter((_, i) => owners[i] === null).map((id) => id.label);
  if (skipped.length > 0 && !req.ignoreInvalid) {
    throw new AppError(
      400,
      "invalid_request",
      `No profile for ${skipped.length} of the ids (set ignore_invalid_ids to delete the others)`,
      skipped.map((id) => ({ field: "ids", message: `unknown id ${id}` })),
    );
  }
  const byKey = new Map<string, DeletionTarget>();
  req.ids.forEach((id, i) => {
    const key = owners[i];
    if (key === null || key === undefined) return;
    const target = byKey.get(key) ?? { key, requested: [] };
    target.requested.push(id.label);
    byKey.set(key, target);
  });
  const now = Date.now();
  const row = {
    id: `del_${randomKey(8)}`,
    projectId,
    status: "staging" as const,
    phase: "profiles" as const,
    requester: req.requester,
    targets: [...byKey.values()],
    skipped,
    createdAt: now,
    updatedAt: now,
  };
  await db.insert(deletionJobs).values(row);
  await env.PROJECT_JOBS.getByName(projectId).startDeletion(row.id);
  return getDeletion(db, projectId, row.id);
}

export async function getDeletion(db: Db, projectId: string, id: string) {
  const row = await db
    .select()
    .from(deletionJobs)
    .where(and(eq(deletionJobs.projectId, projectId), eq(deletionJobs.id, id)))
    .get();
  if (row === undefined) throw new AppError(404, "not_found", `No deletion ${id}`);
  return row;
}

export async function listDeletions(db: Db, projectId: string, range: { from?: number; to?: number } = {}) {
  return db
    .select()
    .from(deletionJobs)
    .where(
      and(
        eq(deletionJobs.projectId, projectId),
        range.from === undefined ? undefined : gte(deletionJobs.createdAt, range.from),
        range.to === undefined ? undefined : lte(deletionJobs.createdAt, range.to),
      ),
    )
    .orderBy(desc(deletionJobs.createdAt))
    .limit(1000);
}

/** A job as the admin API shows it. */
export function presentDeletion(row: typeof deletionJobs.$inferSelect) {
  return {
    id: row.id,
    status: row.status,
    phase: row.phase,
    requester: row.requester,
    profiles: row.targets.map((t) => ({ profile_key: t.key, requested_ids: t.requested, erased_at: t.erasedAt ?? null })),
    skipped_ids: row.skipped,
    archive: { objects_scanned: row.objectsScanned, objects_rewritten: row.objectsRewritten, lines_removed: row.linesRemoved },
    attempts: row.attempts,
    last_error: row.lastError,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    finished_at: row.finishedAt,
  };
}
