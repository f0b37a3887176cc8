import { and, desc, eq, inArray, ne } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { admitJobProfiles } from "../core/admission";
import { readConfig, type ConfigVars } from "../core/config";
import { randomKey } from "../core/hash";
import { membershipRepairs } from "../core/membership-repairs";
import { parseProfileKey } from "../core/event";
import { settleWithRetries } from "../core/settle-with-retries";
import { cohortMembers, membershipChanges, reconcileRuns } from "../db/schema";
import { registryPage } from "./registry-walk";
import { profileStub } from "../durable/stub";

const STORAGE_KEY = "reconcile";
/** The cron starts one per project this often. */
export const RECONCILE_EVERY_MS = 86_400_000;

type JobEnv = Pick<Env, "DB" | "USER_PROFILE" | "BACKFILL_PAGE"> & ConfigVars;
export type ReconcileRun = typeof reconcileRuns.$inferSelect;

/**
 * A reconciliation of the D1 membership index with the profiles, run in steps by the
 * project's jobs object: the registry is walked in key order (the cursor saved in D1
 * after each page); each profile says which cohorts it is in, and every index row that
 * disagrees is repaired and logged in the change log at the repair's time, so syncs
 * send the correction. A profile with membership changes still in its outbox is
 * skipped (its own delivery is under way), as is one whose read fails (counted).
 */
export async function startReconcile(env: Pick<Env, "DB">, storage: DurableObjectStorage, projectId: string): Promise<ReconcileRun> {
  const db = drizzle(env.DB);
  const running = await db
    .select()
    .from(reconcileRuns)
    .where(and(eq(reconcileRuns.projectId, projectId), eq(reconcileRuns.status, "running")))
    .get();
  if (running !== undefined) return running;
  const now = Date.now();
  const [row] = await db
    .insert(reconcileRuns)
    .values({ id: `rcn_${randomKey(6)}`, projectId, status: "running", startedAt: now, updatedAt: now })
    .returning();
  await storage.put(STORAGE_KEY, row!.id);
  return row!;
}

export async function latestReconcile(env: Pick<Env, "DB">, projectId: string): Promise<ReconcileRun | undefined> {
  return drizzle(env.DB).select().from(reconcileRuns).where(eq(reconcileRuns.projectId, projectId)).orderBy(desc(reconcileRuns.startedAt)).get();
}

/** One page of the running reconciliation; answers ms until the next step, null when none runs. */
export async function reconcileStep(env: JobEnv, storage: DurableObjectStorage): Promise<number | null> {
  const id = await storage.get<string>(STORAGE_KEY);
  if (id === undefined) return null;
  const db = drizzle(env.DB);
  const run = await db.select().from(reconcileRuns).where(eq(reconcileRuns.id, id)).get();
  if (run === undefined || run.status !== "running") {
    await storage.delete(STORAGE_KEY);
    return null;
  }
  const keys = await registryPage(db, env, run.projectId, run.cursor);
  const now = Date.now();
  if (keys.length === 0) {
    await db
      .update(reconcileRuns)
      .set({ status: run.failures > 0 ? "partial" : "succeeded", updatedAt: now, finishedAt: now })
      .where(eq(reconcileRuns.id, run.id));
    if (run.added + run.removed > 0) console.warn(`reconcile ${run.id}: repaired the membership index of ${run.projectId}: +${run.added} −${run.removed}`);
    await storage.delete(STORAGE_KEY);
    return null;
  }
  const admitted = admitJobProfiles(readConfig(env), run.projectId, keys);
  if (!admitted.ok) return admitted.retryAfterMs;
  const views = new Map<string, { cohort_ids: string[]; pending: boolean } | null>();
  const failed = await settleWithRetries(keys, async (key) => views.set(key, await profileStub(env, run.projectId, parseProfileKey(key)).indexedCohorts()));
  // Compared: profiles that answered with nothing on its way; a profile that is gone (null) should be in no cohort.
  const compared = new Map(keys.flatMap((k) => (!views.has(k) || views.get(k)?.pending ? [] : [[k, views.get(k)?.cohort_ids ?? []] as const])));
  const rows =
    compared.size === 0
      ? []
      : await db
          .select({ cohortId: cohortMembers.cohortId, profileKey: cohortMembers.profileKey })
          .from(cohortMembers)
          .where(and(eq(cohortMembers.projectId, run.projectId), inArray(cohortMembers.profileKey, [...compared.keys()])));
  const { add, remove } = membershipRepairs(compared, rows);
  const statements = [
    ...add.flatMap((r) => [
      db
        .insert(cohortMembers)
        .values({ projectId: run.projectId, ...r, enteredAt: now })
        .onConflictDoNothing(),
      db
        .insert(membershipChanges)
        .values({ projectId: run.projectId, ...r, inCohort: true, changedAt: now })
        .onConflictDoNothing(),
    ]),
    ...remove.flatMap((r) => [
      db.delete(cohortMembers).where(and(eq(cohortMembers.cohortId, r.cohortId), eq(cohortMembers.profileKey, r.profileKey))),
      db
        .insert(membershipChanges)
        .values({ projectId: run.projectId, ...r, inCohort: false, changedAt: now })
        .onConflictDoNothing(),
    ]),
    db
      .update(reconcileRuns)
      .set({
        cursor: keys[keys.length - 1]!,
        checked: run.checked + compared.size,
        added: run.added + add.length,
        removed: run.removed + remove.length,
        skipped: run.skipped + keys.length - compared.size,
        failures: run.failures + failed.length,
        lastError: failed.length > 0 ? String(failed[0]!.reason).slice(0, 500) : run.lastError,
        updatedAt: now,
      })
      .where(and(eq(reconcileRuns.id, run.id), ne(reconcileRuns.status, "succeeded"))),
  ];
  await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  return 0;
}
