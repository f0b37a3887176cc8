import { z } from "zod";
import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { listBackfills, markResumed } from "../../backfill-store";
import { db } from "../../db";
import { requestProject } from "../../project-scope";
import { backfillView } from "./responses";

/** Progress of the backfills that follow definition changes; a partial one can be resumed. */
export const adminBackfills = createApp();

adminBackfills.get(
  "/",
  operation({ summary: "List backfills", responses: { 200: json("Newest first", z.object({ backfills: z.array(backfillView) })) } }),
  async (c) => c.json({ backfills: await listBackfills(db(c.env), requestProject(c)) }),
);

/** Retries a partial backfill's failed profiles again (202; its status shows the outcome). */
adminBackfills.post(
  "/:id/resume",
  operation({ summary: "Retry a partial backfill's failed profiles", responses: { 202: json("The backfill, running again", backfillView) } }),
  async (c) => {
    const project = requestProject(c);
    const resumed = await markResumed(db(c.env), project, c.req.param("id"));
    await c.env.PROJECT_JOBS.getByName(project).resumeBackfill(resumed.id, project);
    return c.json(resumed, 202);
  },
);
