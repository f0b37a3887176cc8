import { and, eq, inArray, lte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { archivePrefix } from "../core/archive";
import { erasurePlan, withoutErased } from "../core/erasure";
import { parseProfileKey, profileKey } from "../core/event";
import { cohortMembers, deletionJobs, membershipChanges, recExposures, servedOutcomes, users, type DeletionTarget } from "../db/schema";
import { keepDepartingIds, listSyncsOf, type ListSyncs } from "./sync-ids";
import { JobQueue } from "./job-queue";
import { profileStub } from "../durable/stub";

/** Archive objects read (and rewritten when they hold erased lines) per step (DELETION_PAGE overrides, e.g. in tests). */
const ARCHIVE_PAGE = 100;
const CONCURRENCY = 16;
const MAX_RETRY_MS = 60_000;
const QUEUE_KEY = "deletions";

type Job = typeof deletionJobs.$inferSelect;

/**
 * A privacy deletion, run in steps by the project's jobs object (ProjectJobs):
 *  1. profiles — each profile's Durable Object (and its linked devices') erases itself
 *     and keeps a tombstone; then its membership rows go, each recorded as an exit in
 *     the change log (so syncs tell destinations the user left), and its registry row.
 *  2. archive — every archive object in the hours the profiles' events span is read,
 *     and rewritten without their lines (deleted when none remain); the last key done
 *     is the cursor. A final membership sweep catches a change a profile was still
 *     delivering when it was erased.
 * Each step is idempotent and its progress is saved in D1 before the next, so a job
 * interrupted anywhere resumes and finishes with the same result.
 */
export async function queueDeletion(storage: DurableObjectStorage, jobId: string): Promise<void> {
  await new JobQueue(storage, QUEUE_KEY).add(jobId);
}

type JobEnv = Pick<Env, "DB" | "ARCHIVE" | "USER_PROFILE" | "DELETION_PAGE">;

/**
 * Runs one step of the first queued deletion that is due; answers ms until the next
 * step, or null when none is queued. A failed step is retried with backoff (attempts and
 * the error are on the job) and waits behind the other deletions meanwhile: an erasure
 * is owed, so it is never given up, and one that keeps failing blocks no other.
 */
export async function deletionStep(env: JobEnv, storage: DurableObjectStorage): Promise<number | null> {
  const queue = new JobQueue(storage, QUEUE_KEY);
  const jobId = await queue.due(Date.now());
  if (jobId === undefined) return queue.nextInMs(Date.now());
  const db = drizzle(env.DB);
  const job = await db.select().from(deletionJobs).where(eq(deletionJobs.id, jobId)).get();
  const next = async (after: "done" | "again" | { retryAt: number }) => {
    await queue.after(jobId, after);
    return queue.nextInMs(Date.now());
  };
  if (job === undefined || job.status === "done") return next("done");
  try {
    if (job.phase === "profiles") {
      const targets = await eraseProfiles(env, job);
      await clearIndexes(env, job.projectId, targets, true);
      await db
        .update(deletionJobs)
        .set({ status: "submitted", phase: "archive", targets, attempts: 0, lastError: null, updatedAt: Date.now() })
        .where(eq(deletionJobs.id, job.id));
      return next("again");
    }
    const page = await rewriteArchivePage(env, job);
    const now = Date.now();
    if (!page.finished) {
      await db
        .update(deletionJobs)
        .set({ ...page.progress, attempts: 0, lastError: null, updatedAt: now })
        .where(eq(deletionJobs.id, job.id));
      return next("again");
    }
    await clearIndexes(env, job.projectId, job.targets, false);
    await db
      .update(deletionJobs)
      .set({ ...page.progress, status: "done", phase: "done", attempts: 0, lastError: null, updatedAt: now, finishedAt: now })
      .where(eq(deletionJobs.id, job.id));
    return next("done");
  } catch (err) {
    console.error(`deletion ${job.id} step failed (attempt ${job.attempts + 1})`, err);
    await db
      .update(deletionJobs)
      .set({ attempts: job.attempts + 1, lastError: String(err).slice(0, 500), updatedAt: Date.now() })
      .where(eq(deletionJobs.id, job.id));
    return next({ retryAt: Date.now() + Math.min(MAX_RETRY_MS, 500 * 2 ** job.attempts) });
  }
}

/** Erases each target not yet erased (and the devices linked to it); answers the updated targets. */
async function eraseProfiles(env: Pick<Env, "DB" | "USER_PROFILE">, job: Job): Promise<DeletionTarget[]> {
  const db = drizzle(env.DB);
  const targets = job.targets.map((t) => ({ ...t }));
  const pending = targets.filter((t) => t.erasedAt === undefined);
  const listSyncs = pending.length === 0 ? new Map() : await listSyncsOf(env, job.projectId);
  const failed: { key: string; reason: unknown }[] = [];
  for (let i = 0; i < pending.length; i += CONCURRENCY) {
    // One target that fails does not stop the others: each erased one is recorded.
    const slice = pending.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(slice.map((t) => eraseTarget(env, job.projectId, t, listSyncs)));
    results.forEach((r, j) => {
      if (r.status === "rejected") failed.push({ key: slice[j]!.key, reason: r.reason });
    });
    // Saved after each slice: a restart re-erases only what is not recorded (erasing is idempotent anyway).
    await db.update(deletionJobs).set({ targets, updatedAt: Date.now() }).where(eq(deletionJobs.id, job.id));
  }
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${pending.length} profiles not erased yet (${failed
        .map((f) => f.key)
        .slice(0, 10)
        .join(", ")}): ${String(failed[0]!.reason).slice(0, 200)}`,
    );
  }
  return targets;
}

async function eraseTarget(env: Pick<Env, "USER_PROFILE" | "DB">, projectId: string, target: DeletionTarget, listSyncs: ListSyncs): Promise<void> {
  const ref = parseProfileKey(target.key);
  const stub = profileStub(env, projectId, ref);
  // What the archive rewrite needs, read before the profile forgets it: devices and event-time range.
  const profile = await stub.getProfile();
  const own =
    profile !== null &&
    profileKey(profile.user_id !== null ? { kind: "user", id: profile.user_id } : { kind: "device", id: profile.device_id ?? "" }) === target.key;
  if (own) {
    target.devices = [...new Set([...(target.devices ?? []), ...(ref.kind === "user" ? profile.device_ids : [])])];
    target.firstSeen = min(target.firstSeen, profile.first_seen);
    target.lastSeen = max(target.lastSeen, profile.last_seen);
  } else if (profile !== null) {
    target.firstSeen = null; // a device that is now someone's: its own range is not visible, scan everything
  }
  // List destinations name members by a property the erasure takes away: keep their ids for the exit.
  if (own) await keepDepartingIds(env, projectId, target.key, profile.user_properties, listSyncs);
  const result = await stub.erase();
  if (ref.kind === "user") {
    await Promise.all((target.devices ?? []).map((id) => profileStub(env, projectId, { kind: "device", id }).erase({ ifLinkedTo: ref.id })));
  }
  target.erasedAt = result.erasedAt ?? Date.now();
}

const min = (a: number | null | undefined, b: number | null) => (a === undefined ? b : a === null || b === null ? null : Math.min(a, b));
const max = (a: number | null | undefined, b: number | null) => (a === undefined ? b : a === null || b === null ? null : Math.max(a, b));

/**
 * Removes the targets' cohort memberships, logging each as an exit at the erasure
 * instant (a repeat is ignored by the log's unique index), and — right after erasure —
 * their registry rows, and their served windows and exposures (model quality, lift). Rows a fresh profile of the same id wrote later are left alone.
 */
async function clearIndexes(env: Pick<Env, "DB">, projectId: string, targets: readonly DeletionTarget[], registry: boolean): Promise<void> {
  const db = drizzle(env.DB);
  for (const t of targets) {
    const cut = t.erasedAt ?? Date.now();
    const keys = [t.key, ...(t.devices ?? []).map((id) => profileKey({ kind: "device", id }))];
    const rows = await db
      .select({ cohortId: cohortMembers.cohortId, profileKey: cohortMembers.profileKey })
      .from(cohortMembers)
      .where(and(eq(cohortMembers.projectId, projectId), inArray(cohortMembers.profileKey, keys), lte(cohortMembers.enteredAt, cut)));
    const statements = [
      ...rows.flatMap((r) => [
        db
          .insert(membershipChanges)
          .values({ projectId, cohortId: r.cohortId, profileKey: r.profileKey, inCohort: false, changedAt: cut })
          .onConflictDoNothing(),
        db.delete(cohortMembers).where(and(eq(cohortMembers.cohortId, r.cohortId), eq(cohortMembers.profileKey, r.profileKey))),
      ]),
      ...(registry ? [db.delete(users).where(and(eq(users.projectId, projectId), inArray(users.profileKey, keys)))] : []),
      // What the user was served and did next (model quality) is personal data too.
      db
        .delete(servedOutcomes)
        .where(and(eq(servedOutcomes.projectId, projectId), inArray(servedOutcomes.profileKey, keys), lte(servedOutcomes.openedAt, cut))),
      db.delete(recExposures).where(and(eq(recExposures.projectId, projectId), inArray(recExposures.profileKey, keys), lte(recExposures.exposedAt, cut))),
    ];
    if (statements.length > 0) await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  }
}

/** Rewrites the next page of archive objects; `finished` when the scanned range is done. */
async function rewriteArchivePage(env: Pick<Env, "ARCHIVE" | "DELETION_PAGE">, job: Job) {
  const { ids, hours } = erasurePlan(job.targets);
  const progress = { cursor: job.cursor, objectsScanned: job.objectsScanned, objectsRewritten: job.objectsRewritten, linesRemoved: job.linesRemoved };
  if (ids.users.size + ids.devices.size === 0) return { finished: true, progress };
  const root = archivePrefix(job.projectId);
  const start = hours === null ? "" : archivePrefix(job.projectId, hours.from).slice(0, -1);
  const startAfter = job.cursor > start ? job.cursor : start;
  const listed = await env.ARCHIVE.list({ prefix: root, ...(startAfter === "" ? {} : { startAfter }), limit: Number(env.DELETION_PAGE ?? ARCHIVE_PAGE) });
  const inRange = (key: string) => hours === null || key.slice(root.length + "hour=".length, root.length + "hour=".length + 13) <= hours.to;
  const objects = listed.objects.filter((o) => inRange(o.key));
  let rewritten = 0;
  let removed = 0;
  for (let i = 0; i < objects.length; i += CONCURRENCY) {
    await Promise.all(
      objects.slice(i, i + CONCURRENCY).map(async ({ key }) => {
        const object = await env.ARCHIVE.get(key);
        if (object === null) return;
        const next = withoutErased(await object.text(), ids);
        if (next === null) return;
        if (next.kept === 0) await env.ARCHIVE.delete(key);
        else await env.ARCHIVE.put(key, next.text, { httpMetadata: object.httpMetadata ?? { contentType: "application/x-ndjson" } });
        rewritten++;
        removed += next.removed;
      }),
    );
  }
  const last = listed.objects[listed.objects.length - 1]?.key;
  const finished = !listed.truncated || objects.length < listed.objects.length || last === undefined;
  return {
    finished,
    progress: {
      cursor: last ?? job.cursor,
      objectsScanned: job.objectsScanned + objects.length,
      objectsRewritten: job.objectsRewritten + rewritten,
      linesRemoved: job.linesRemoved + removed,
    },
  };
}
