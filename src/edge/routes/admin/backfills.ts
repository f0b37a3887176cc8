import { and, eq } from "drizzle-orm";
import { backfillJobs } from "../../../db/schema";
import { createApp } from "../../app";
import { db } from "../../db";
import { listBackfills } from "../../definition-store";
import { AppError } from "../../errors";
import { requestProject } from "../../project-scope";
import { z } from "zod";
import { json, operation } from "../../api-contract";
import { backfillView } from "./responses";

/** Progress of the backfills that follow definition changes; a partial one can be resumed. */
export const adminBackfills = createApp();

type Row = Awaited<ReturnType<typeof listBackfills>>[number];

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

adminBackfills.get(
  "/",
  operation({ summary: "List backfills", responses: { 200: json("Newest first", z.object({ backfills: z.array(backfillView) })) } }),
  async (c) => c.json({ backfills: (await listBackfills(db(c.env), requestProject(c))).map(present) }),
);

/** Retries a partial backfill's failed profiles again (202; its status shows the outcome). */
adminBackfills.post(
  "/:id/resume",
  operation({ summary: "Retry a partial backfill's failed profiles", responses: { 202: json("The backfill, running again", backfillView) } }),
  async (c) => {
    const project = requestProject(c);
    const d = db(c.env);
    const job = await d
      .select()
      .from(backfillJobs)
      .where(and(eq(backfillJobs.id, c.req.param("id")), eq(backfillJobs.projectId, project)))
      .get();
    if (job === undefined) throw new AppError(404, "not_found", `No backfill ${c.req.param("id")}`);
    if (job.status !== "partial")
      throw new AppError(409, "conflict", `Backfill ${job.id} is ${job.status}: only a partial backfill resumes`, [
        { field: "id", message: `the backfill is ${job.status}` },
      ]);
    // One backfill runs at a time per project (a newer one recomputes every profile anyway).
    const running = await d
      .select({ id: backfillJobs.id })
      .from(backfillJobs)
      .where(and(eq(backfillJobs.projectId, project), eq(backfillJobs.status, "running")))
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
    await c.env.PROJECT_JOBS.getByName(project).resumeBackfill(job.id, project);
    return c.json(present(resumed), 202);
  },
);
