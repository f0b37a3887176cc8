import { and, desc, eq } from "drizzle-orm";
import { backfillJobs } from "../db/schema";
import type { Db } from "./db";
import { AppError } from "./errors";

/** The backfills that follow definition changes (run by ProjectJobs, jobs/backfill-job.ts), as the admin API shows them. */
type Row = typeof backfillJobs.$inferSelect;

const present = (j: Row) => ({
  id: j.id,
  definitions_version: j.definitionsVersion,
  status: j.status,
  processed: j.processed,
  total: j.total,
  /** Profiles whose recompute failed and was not recovered by the retries. */
  failures: j.failures,
  /** Their profile keys (`u:<user_id>`, `d:<device_id>`), the first 1,000. */
  failed_profiles: j.failedKeys,
  retry_rounds: j.retryRound,
  last_error: j.lastError,
  started_at: j.startedAt,
  updated_at: j.updatedAt,
  finished_at: j.finishedAt,
});

/** The last 20, newest first. */
export async function listBackfills(d: Db, projectId: string) {
  const rows = await d.select().from(backfillJobs).where(eq(backfillJobs.projectId, projectId)).orderBy(desc(backfillJobs.startedAt)).limit(20);
  return rows.map(present);
}

/**
 * Marks a partial backfill running again (its failed profiles are then retried by
 * ProjectJobs): 404 for another project's, 409 unless it is partial and no other runs.
 */
export async function markResumed(d: Db, projectId: string, id: string) {
  const job = await d
    .select()
    .from(backfillJobs)
    .where(and(eq(backfillJobs.id, id), eq(backfillJobs.projectId, projectId)))
    .get();
  if (job === undefined) throw new AppError(404, "not_found", `No backfill ${id}`);
  if (job.status !== "partial")
    throw new AppError(409, "conflict", `Backfill ${job.id} is ${job.status}: only a partial backfill resumes`, [
      { field: "id", message: `the backfill is ${job.status}` },
    ]);
  // One backfill runs at a time per project (a newer one recomputes every profile anyway).
  const running = await d
    .select({ id: backfillJobs.id })
    .from(backfillJobs)
    .where(and(eq(backfillJobs.projectId, projectId), eq(backfillJobs.status, "running")))
    .get();
  if (running !== undefined)
    throw new AppError(409, "conflict", `Backfill ${running.id} is running: resume ${job.id} after it ends`, [
      { field: "id", message: "another backfill is running" },
    ]);
  const [resumed] = await d
    .update(backfillJobs)
    .set({ status: "running", retryRound: 0, finishedAt: null, updatedAt: Date.now() })
    .where(and(eq(backfillJobs.id, job.id), eq(backfillJobs.status, "partial")))
    .returning();
  if (resumed === undefined)
    throw new AppError(409, "conflict", `Backfill ${job.id} changed meanwhile: read it again`, [{ field: "id", message: "changed meanwhile" }]);
  return present(resumed);
}
