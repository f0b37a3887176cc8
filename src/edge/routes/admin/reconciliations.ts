import { z } from "zod";
import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { db } from "../../db";
import { requestProject } from "../../project-scope";
import { listReconciliations, presentReconciliation } from "../../reconcile-store";
import { reconciliationView } from "./responses";

/** Reconciliations of the membership index with the profiles: started daily by the cron, or here. */
export const adminReconciliations = createApp();

adminReconciliations.get(
  "/",
  operation({
    summary: "List reconciliations",
    responses: { 200: json("The last 20, newest first", z.object({ reconciliations: z.array(reconciliationView) })) },
  }),
  async (c) => c.json({ reconciliations: await listReconciliations(db(c.env), requestProject(c)) }),
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
    return c.json(presentReconciliation(await c.env.PROJECT_JOBS.getByName(project).startReconcile(project)), 202);
  },
);
