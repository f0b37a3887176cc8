import { z } from "zod";
import type { Hono } from "hono";
import type { AppEnv } from "../../app";
import { projectApiPath } from "../../../core/project";
import { syncSchema } from "../../../core/syncs/schema";
import { isFailing, syncOwner } from "../../../jobs/sync-run";
import { json, operation } from "../../api-contract";
import { listSyncExports, readSyncExport } from "../../archive-store";
import { db } from "../../db";
import { listRuns } from "../../definition-store";
import { exposurePerformance } from "../../lift-store";
import { requestedDefinition, requestProject } from "../../project-scope";
import { exposurePerformance as performanceView, syncRun, syncRunLogged } from "./responses";

/** Routes only syncs have: run now, the run log, the lift over the holdout, and an R2 export's files. */
export function syncRoutes(app: Hono<AppEnv>): void {
  /** Lift of the sync's holdout: members sent against the share held out (core/lift.ts). */
  const syncPerformance = performanceView.extend({ sync_id: z.string(), holdout: syncSchema.shape.holdout });
  app.get(
    "/:id/performance",
    operation({ summary: "A sync's lift over its holdout", responses: { 200: json("Sent against held out", syncPerformance) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "syncs");
      const { holdout } = syncSchema.parse(row.definition);
      return c.json({ sync_id: row.id, holdout, ...(await exposurePerformance(db(c.env), project, syncOwner(row.id))) });
    },
  );

  /** Runs the sync now (as a UI button would) and answers with the run. */
  app.post("/:id/run", operation({ summary: "Run a sync now", responses: { 200: json("The run", syncRun.extend({ failing: z.boolean() })) } }), async (c) => {
    const project = requestProject(c);
    const row = await requestedDefinition(c, "syncs");
    const run = await c.env.PROJECT_JOBS.getByName(project).runSync(row.id);
    return c.json({ ...run, failing: await isFailing(c.env, row.id) });
  });

  /** Files written by an R2-export sync, with admin download links. */
  const exportFiles = z.object({ files: z.array(z.object({ key: z.string(), size: z.number().int(), url: z.string() })) });
  app.get(
    "/:id/exports",
    operation({ summary: "Files an R2-export sync wrote", responses: { 200: json("The files, with download links", exportFiles) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "syncs");
      const files = await listSyncExports(c.env, project, row.id);
      return c.json({
        files: files.map((f) => ({ ...f, url: `/admin/api${projectApiPath(project, `/syncs/${row.id}/exports/file`)}?key=${encodeURIComponent(f.key)}` })),
      });
    },
  );

  app.get(
    "/:id/exports/file",
    operation({
      summary: "Download a file an R2-export sync wrote",
      query: z.object({ key: z.string().describe("a key from the sync's file list") }),
      responses: { 200: { description: "The file", mediaType: "application/octet-stream" } },
    }),
    async (c) => {
      const project = requestProject(c);
      const row = await requestedDefinition(c, "syncs");
      const object = await readSyncExport(c.env, project, row.id, c.req.valid("query").key);
      return new Response(object.body, { headers: { "content-type": object.httpMetadata?.contentType ?? "application/octet-stream" } });
    },
  );

  /** The run log, newest first, and whether the sync is failing. */
  app.get(
    "/:id/runs",
    operation({
      summary: "A sync's run log",
      responses: { 200: json("The last 50 runs, newest first", z.object({ failing: z.boolean(), runs: z.array(syncRunLogged) })) },
    }),
    async (c) => {
      const row = await requestedDefinition(c, "syncs");
      const runs = await listRuns(db(c.env), row.id);
      return c.json({ failing: await isFailing(c.env, row.id), runs });
    },
  );
}
