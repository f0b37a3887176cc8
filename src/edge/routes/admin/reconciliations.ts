import { desc, eq } from "drizzle-orm";
import { reconcileRuns } from "../../../db/schema";
import type { ReconcileRun } from "../../../jobs/reconcile-job";
import { createApp } from "../../app";
import { db } from "../../db";
import { requestProject } from "../../project-scope";
import { z } from "zod";
import { json, operation } from "../../api-contract";
import { reconciliationView } from "./responses";

/** Reconciliations of the membership index with the profiles: started daily by the cron, or here. */
export const adminReconciliations = createApp();

const present = (r: ReconcileRun) => ({
  id: r.id,
  status: r.status,
  checked: r.checked,
  added: r.added,
  removed: r.removed,
  skipped: r.skipped,
  failures: r.failures,
  last_error: r.lastError,
  started_at: r.startedAt,
  updated_at: r.updatedAt,
  finished_at: r.finishedAt,
});

adminReconciliations.get(
  "/",
  operation({
    summary: "List reconciliations",
    responses: { 200: json("The last 20, newest first", z.object({ reconciliations: z.array(reconciliationView) })) },
  }),
  async (c) => {
    const rows = await db(c.env)
      .select()
      .from(reconcileRuns)
      .where(eq(reconcileRuns.projectId, requestProject(c)))
      .orderBy(desc(reconcileRuns.startedAt))
      .limit(20);
    return c.json({ reconciliations: rows.map(present) });
  },
);

/** Starts one now (202), or answers the one already running. */
adminReconciliations.post(
  "/",
  operation({
    summary: "Reconcile the membership index with the profiles now",
    responses: { 202: json("The run started, or the one already running", reconciliationView) },
  }),
  async (c) => {
    const project = requestProject(c);
    return c.json(present(await c.env.PROJECT_JOBS.getByName(project).startReconcile(project)), 202);
  },
);
