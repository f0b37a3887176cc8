import { z } from "zod";
import { projectIdSchema } from "../../../core/project";
import { createApp } from "../../app";
import { db } from "../../db";
import { listBackfills } from "../../definition-store";
import { parseWith } from "../../validate";

/** Progress of the backfills that follow definition changes. */
export const adminBackfills = createApp();

adminBackfills.get("/", async (c) => {
  const { project } = parseWith(z.object({ project: projectIdSchema.default("default") }), c.req.query(), "query");
  const jobs = await listBackfills(db(c.env), project);
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
