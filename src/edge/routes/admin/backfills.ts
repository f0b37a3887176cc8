import { createApp } from "../../app";
import { db } from "../../db";
import { listBackfills } from "../../definition-store";
import { requestProject } from "../../project-scope";

/** Progress of the backfills that follow definition changes. */
export const adminBackfills = createApp();

adminBackfills.get("/", async (c) => {
  const jobs = await listBackfills(db(c.env), requestProject(c));
  return c.json({
    backfills: jobs.map((j) => ({
      id: j.id,
      definitions_version: j.definitionsVersion,
      status: j.status,
      processed: j.processed,
      total: j.total,
      failures: j.failures,
      last_error: j.lastError,
      started_at: j.startedAt,
      updated_at: j.updatedAt,
      finished_at: j.finishedAt,
    })),
  });
});
