import { and, count, eq, isNull, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { admitJobProfiles } from "../core/admission";
import { readConfig, type ConfigVars } from "../core/config";
import { addFailures, afterRetry, nextStep, type FailedSet } from "../core/job-retries";
import { parseProfileKey } from "../core/event";
import { randomKey } from "../core/hash";
import { settleWithRetries } from "../core/settle-with-retries";
import { backfillJobs, users } from "../db/schema";
import { registryPage, walkPageSize } from "./registry-walk";
import { profileStub } from "../durable/stub";

const STORAGE_KEY = "job";

type JobEnv = Pick<Env, "DB" | "USER_PROFILE" | "BACKFILL_PAGE"> & ConfigVars;
/** The running backfill, as the alarm finds it; `retryAt` while a retry round waits. */
interface BackfillCursor {
  id: string;
  projectId: string;
  retryAt?: number;
}
type BackfillRow = typeof backfillJobs.$inferSelect;
const failedSetOf = (job: BackfillRow): FailedSet => ({ failures: job.failures, failedKeys: job.failedKeys });

/**
 * A backfill, run in steps by the project's jobs object: the user registry is walked in
 * key order, each profile asked to recompute; the cursor is saved in D1 after every
 * page, so a restart resumes where it stopped. What failed is retried, then reported
 * (core/job-retries.ts). A new backfill supersedes the running one.
 */
export async function startBackfill(
  env: Pick<Env, "DB">,
  storage: DurableObjectStorage,
  projectId: string,
  definitionsVersion: number,
): Promise<{ id: string; total: number }> {
  const db = drizzle(env.DB);
  const now = Date.now();
  const id = `bf_${randomKey(6)}`;
  const [{ total }] = (await db
    .select({ total: count() })
    .from(users)
    .where(and(eq(users.projectId, projectId), isNull(users.mergedInto)))) as [{ total: number }];
  await db.batch([
    db
      .update(backfillJobs)
      .set({ status: "superseded", updatedAt: now, finishedAt: now })
      .where(and(eq(backfillJobs.projectId, projectId), eq(backfillJobs.status, "running"))),
    db.insert(backfillJobs).values({ id, projectId, definitionsVersion, status: "running", total, startedAt: now, updatedAt: now }),
  ]);
  await storage.put(STORAGE_KEY, { id, projectId } satisfies BackfillCursor);
  return { id, total };
}

/** A partial backfill retries its failed profiles again (the route has set it running). */
export async function resumeBackfill(storage: DurableObjectStorage, id: string, projectId: string): Promise<void> {
  await storage.put(STORAGE_KEY, { id, projectId } satisfies BackfillCursor);
}

/** One step of the running backfill; answers the ms until its next step, null when it has none. */
export async function backfillStep(env: JobEnv, storage: DurableObjectStorage): Promise<number | null> {
  const current = await storage.get<BackfillCursor>(STORAGE_KEY);
  if (current === undefined) return null;
  const db = drizzle(env.DB);
  const job = await db.select().from(backfillJobs).where(eq(backfillJobs.id, current.id)).get();
  if (job === undefined || job.status !== "running") {
    await storage.delete(STORAGE_KEY);
    return null;
  }
  if (current.retryAt !== undefined) {
    const wait = current.retryAt - Date.now();
    return wait > 0 ? wait : retryRound(env, storage, job, current);
  }
  const keys = await registryPage(db, env, job.projectId, job.cursor);
  // The walk has passed every profile: retry what failed, or finish.
  if (keys.length === 0) return settle(env, storage, job, current, failedSetOf(job), job.retryRound);
  const admitted = admitJobProfiles(readConfig(env), job.projectId, keys);
  if (!admitted.ok) return admitted.retryAfterMs;
  const failed = await refresh(env, job.projectId, keys);
  if (failed.keys.length > 0) console.warn(`backfill ${job.id}: ${failed.keys.length} profiles failed after retries, first ${failed.keys[0]}: ${failed.error}`);
  await db
    .update(backfillJobs)
    .set({
      cursor: keys[keys.length - 1]!,
      processed: job.processed + keys.length,
      ...addFailures(failedSetOf(job), failed.keys),
      lastError: failed.error ?? job.lastError,
      updatedAt: Date.now(),
    })
    .where(and(eq(backfillJobs.id, job.id), ne(backfillJobs.status, "superseded")));
  return 0;
}

/** Retries every kept failed profile once (in pages), then settles what is left. */
async function retryRound(env: JobEnv, storage: DurableObjectStorage, job: BackfillRow, current: BackfillCursor): Promise<number | null> {
  const stillFailed: string[] = [];
  let error = job.lastError;
  const page = walkPageSize(env);
  for (let i = 0; i < job.failedKeys.length; i += page) {
    const failed = await refresh(env, job.projectId, job.failedKeys.slice(i, i + page));
    stillFailed.push(...failed.keys);
    error = failed.error ?? error;
  }
  const set = afterRetry(failedSetOf(job), stillFailed);
  const round = job.retryRound + 1;
  console.warn(`backfill ${job.id}: retry round ${round} recovered ${job.failedKeys.length - stillFailed.length} of ${job.failedKeys.length} profiles`);
  await drizzle(env.DB)
    .update(backfillJobs)
    .set({ ...set, retryRound: round, lastError: error, updatedAt: Date.now() })
    .where(and(eq(backfillJobs.id, job.id), eq(backfillJobs.status, "running")));
  return settle(env, storage, job, { id: current.id, projectId: current.projectId }, set, round);
}

/** After the walk or a retry round: another round later, or the job's end (succeeded only when nothing failed). */
async function settle(
  env: JobEnv,
  storage: DurableObjectStorage,
  job: BackfillRow,
  current: BackfillCursor,
  set: FailedSet,
  round: number,
): Promise<number | null> {
  const step = nextStep(set, round);
  // A newer backfill may have taken the cursor while this one awaited D1 or the profiles.
  const owns = (await storage.get<BackfillCursor>(STORAGE_KEY))?.id === current.id;
  if (step.status === "retry") {
    if (!owns) return 0;
    await storage.put(STORAGE_KEY, { ...current, retryAt: Date.now() + step.inMs });
    return step.inMs;
  }
  const now = Date.now();
  await drizzle(env.DB)
    .update(backfillJobs)
    .set({ status: step.status, ...set, retryRound: round, updatedAt: now, finishedAt: now })
    .where(and(eq(backfillJobs.id, job.id), eq(backfillJobs.status, "running")));
  if (!owns) return 0;
  await storage.delete(STORAGE_KEY);
  return null;
}

/** Asks each profile to recompute; answers the keys that still failed after quick retries. */
async function refresh(env: JobEnv, projectId: string, keys: readonly string[]): Promise<{ keys: string[]; error?: string }> {
  // Many profiles recompute at once: a failure is usually transient (see settleWithRetries).
  const failed = await settleWithRetries(keys, async (key) => profileStub(env, projectId, parseProfileKey(key)).refresh());
  return { keys: failed.map((f) => f.item), error: failed.length > 0 ? String(failed[0]!.reason).slice(0, 500) : undefined };
}
