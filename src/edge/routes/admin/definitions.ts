import type { Context } from "hono";
import { z } from "zod";
import { projectApiPath } from "../../../core/project";
import { createApp } from "../../app";
import { db } from "../../db";
import {
  cohortSizes,
  createDefinition,
  deleteDefinition,
  getDefinition,
  listDefinitions,
  listRuns,
  present,
  KINDS,
  updateDefinition,
  type DefinitionKind,
} from "../../definition-store";
import type { ProfileRef } from "../../../core/event";
import { profileStub } from "../../../durable/stub";
import type { Destination } from "../../../core/syncs/schema";
import { newWebhookSecret } from "../../../core/syncs/standard-webhooks";
import { failingSyncs, isFailing, lastRuns, syncOwner } from "../../../jobs/sync-run";
import { nextRunAt, syncSchema } from "../../../core/syncs/schema";
import { AppError } from "../../errors";
import { listSyncExports, readSyncExport } from "../../archive-store";
import { nameWarnings } from "../../catalog-store";
import { itemDetails } from "../../item-store";
import type { Db } from "../../db";
import { definitionsChanged } from "../../definitions-version";
import { testDestination } from "../../destination-test";
import { setStaticMembers } from "../../static-members";
import { requestProject } from "../../project-scope";
import { json, noContent, operation } from "../../api-contract";
import { definitionView, definitionWritten, exposurePerformance as performanceView, recommendationAnswer, syncRun, syncRunLogged } from "./responses";
import { exposurePerformance } from "../../lift-store";
import { recommendationSchema } from "../../../core/recommendations/schema";

/**
 * CRUD for one kind of definition. Every write is validated (schema, then a compile of
 * the project's whole set), bumps the project's definitions version — profiles pick it
 * up within seconds — and starts a backfill so existing profiles recompute.
 */
/** Warnings for names the project never saw, with their paths in the request (`definition.…`). */
async function definitionWarnings(d: Db, projectId: string, definition: unknown) {
  return (await nameWarnings(d, projectId, definition)).map((w) => ({ ...w, path: `definition.${w.path}` }));
}

export function definitionRoutes(kind: DefinitionKind) {
  const singular = kind.slice(0, -1);
  const envelope = {
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    definition: KINDS[kind].schema,
    status: z.enum(["active", "inactive"]).optional(),
  };
  const createSchema = z.object(envelope);
  const updateSchema = z.object(envelope).partial();
  // The definition is stored as the client wrote it (defaults apply when it is read); the parsed one is what the checks see.
  const rawDefinition = async (c: Context): Promise<Record<string, unknown>> => ((await c.req.json()) as { definition: Record<string, unknown> }).definition;
  const app = createApp();

  const segmentKind = KINDS[kind].segments;
  const backfill = (env: Env, projectId: string) => (segmentKind ? definitionsChanged(env, projectId, { backfill: true }) : Promise.resolve(undefined));

  app.get(
    "/",
    operation({ summary: `List ${kind}`, responses: { 200: json(`Every ${singular} of the project`, z.object({ [kind]: z.array(definitionView) })) } }),
    async (c) => {
      const project = requestProject(c);
      const list = await listDefinitions(db(c.env), kind, project, { trends: kind === "cohorts" });
      if (kind !== "syncs") return c.json({ [kind]: list });
      // A sync shows whether it is failing (its last runs all failed), as its run log does, and when the cron last and next runs it.
      const [failing, last] = await Promise.all([failingSyncs(c.env, project), lastRuns(c.env, project)]);
      const now = Date.now();
      const nextRun = (s: (typeof list)[number]) => {
        const schedule = syncSchema.shape.schedule.safeParse((s.definition as { schedule?: unknown }).schedule);
        return s.status === "active" && schedule.success ? nextRunAt(schedule.data, last.get(s.id) ?? null, now) : null;
      };
      return c.json({ syncs: list.map((s) => ({ ...s, failing: failing.has(s.id), last_run_at: last.get(s.id)?.at ?? null, next_run_at: nextRun(s) })) });
    },
  );

  const writeDescription = KINDS[kind].segments ? "Checked against the project's other definitions; existing profiles recompute in a backfill." : undefined;
  app.post(
    "/",
    operation({
      summary: `Create a ${singular}`,
      description: writeDescription,
      body: createSchema,
      responses: { 201: json(`The ${singular}`, definitionWritten) },
    }),
    async (c) => {
      const project = requestProject(c);
      const { definition: parsed, ...input } = c.req.valid("json");
      let definition = await rawDefinition(c);
      // A webhook without a signing secret gets one, shown in this response only.
      let issuedSecret: string | undefined;
      if (kind === "destinations" && (parsed as Destination).type === "webhook" && !("credentials" in definition)) {
        issuedSecret = newWebhookSecret();
        definition = { ...definition, credentials: { signing_secret: issuedSecret } };
      }
      const row = await createDefinition(db(c.env), kind, project, { ...input, definition, parsed, credentialsKey: c.env.CREDENTIALS_KEY });
      const warnings = segmentKind ? await definitionWarnings(db(c.env), project, definition) : undefined;
      return c.json(
        {
          ...present(row, kind === "cohorts" ? 0 : undefined),
          ...(issuedSecret === undefined ? {} : { signing_secret: issuedSecret }),
          ...(warnings === undefined ? {} : { warnings }),
          ...(segmentKind ? { backfill: await backfill(c.env, project) } : {}),
        },
        201,
      );
    },
  );

  app.get(
    "/:id",
    operation({ summary: `Read a ${singular}`, responses: { 200: json(`The ${singular}`, definitionWritten.omit({ backfill: true })) } }),
    async (c) => {
      const project = requestProject(c);
      const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
      const [size, warnings] = await Promise.all([
        kind === "cohorts" ? cohortSizes(db(c.env), project, [row.id]).then((sizes) => sizes.get(row.id) ?? 0) : undefined,
        segmentKind ? definitionWarnings(db(c.env), project, row.definition) : undefined,
      ]);
      return c.json({ ...present(row, size), ...(warnings === undefined ? {} : { warnings }) });
    },
  );

  app.put(
    "/:id",
    operation({
      summary: `Change a ${singular}`,
      description: `Any of the fields; a definition given replaces the stored one. ${writeDescription ?? ""}`.trim(),
      body: updateSchema,
      responses: { 200: json(`The ${singular} as changed`, definitionWritten) },
    }),
    async (c) => {
      const project = requestProject(c);
      const { definition: parsed, ...patch } = c.req.valid("json");
      const definition = parsed === undefined ? undefined : await rawDefinition(c);
      const row = await updateDefinition(db(c.env), kind, project, c.req.param("id"), { ...patch, definition, parsed, credentialsKey: c.env.CREDENTIALS_KEY });
      const warnings = segmentKind && definition !== undefined ? await definitionWarnings(db(c.env), project, definition) : undefined;
      return c.json({ ...present(row), ...(segmentKind ? { backfill: await backfill(c.env, project) } : {}), ...(warnings === undefined ? {} : { warnings }) });
    },
  );

  if (kind === "cohorts") {
    const membersSchema = z.object({
      ids: z.array(z.string().min(1).max(1024)).min(1).max(10_000),
      id_type: z.enum(["user_id", "device_id"]).default("user_id"),
      operation: z.enum(["add", "remove"]).default("add"),
    });
    /** Static cohorts: add or remove members by id. */
    const membersResult = z.object({
      cohort_id: z.string(),
      operation: z.enum(["add", "remove"]),
      applied: z.number().int(),
      skipped_ids: z.array(z.string()),
    });
    app.post(
      "/:id/members",
      operation({ summary: "Add or remove a static cohort's members", body: membersSchema, responses: { 200: json("What was applied", membersResult) } }),
      async (c) => {
        const project = requestProject(c);
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        if ((row.definition as { type?: string }).type !== "static") {
          throw new AppError(400, "invalid_request", `Cohort ${row.id} is behavioral: its members follow its definition`, [
            { field: "id", message: "not a static cohort" },
          ]);
        }
        const input = c.req.valid("json");
        const result = await setStaticMembers(
          c.env,
          db(c.env),
          project,
          row.id,
          input.ids,
          input.id_type === "user_id" ? "user" : "device",
          input.operation === "add",
        );
        return c.json({ cohort_id: row.id, operation: input.operation, applied: result.applied.length, skipped_ids: result.skipped });
      },
    );
  }

  if (kind === "recommendations") {
    const previewSchema = z
      .object({ user_id: z.string().min(1).optional(), device_id: z.string().min(1).optional(), rec_type: z.enum(["model", "random", "popular"]).optional() })
      .refine((q) => (q.user_id === undefined) !== (q.device_id === undefined), { message: "give exactly one of user_id or device_id", path: ["user_id"] });
    /** One user's recommendation as the profile API would answer it now (a preview for the UI). */
    app.get(
      "/:id/preview",
      operation({
        summary: "Preview one user's recommendation",
        query: previewSchema,
        responses: { 200: json("The list the profile API would answer now", recommendationAnswer) },
      }),
      async (c) => {
        const project = requestProject(c);
        const q = c.req.valid("query");
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        const ref: ProfileRef = q.user_id !== undefined ? { kind: "user", id: q.user_id } : { kind: "device", id: q.device_id! };
        const read = await profileStub(c.env, project, ref).read(false, { ids: [row.id], override: q.rec_type ?? null, shown: false });
        if (read === null) throw new AppError(404, "not_found", `No profile for ${ref.kind}_id ${ref.id}`);
        const answer = read.recommendations[0]!;
        return c.json({ ...answer, item_details: await itemDetails(c.env, db(c.env), project, row.id, answer.items) });
      },
    );

    /** Lift: treatment against control among the users shown this recommendation (core/lift.ts). */
    const recPerformance = performanceView.extend({
      recommendation_id: z.string(),
      control_percent: z.number(),
      attribution: recommendationSchema.shape.attribution,
    });
    app.get(
      "/:id/performance",
      operation({ summary: "A recommendation's lift", responses: { 200: json("Treatment against control", recPerformance) } }),
      async (c) => {
        const project = requestProject(c);
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        // Parsed: a definition stored before a field existed gets its default.
        const definition = recommendationSchema.parse(row.definition);
        return c.json({
          recommendation_id: row.id,
          control_percent: definition.control.percent,
          attribution: definition.attribution,
          ...(await exposurePerformance(db(c.env), project, row.id)),
        });
      },
    );
  }

  if (kind === "destinations") {
    /** "Send a test": one harmless request with the stored settings, its answer in one line. */
    const testResult = z.object({ ok: z.boolean(), status: z.number().int().nullable(), detail: z.string() });
    app.post(
      "/:id/test",
      operation({ summary: "Send a test to a destination", responses: { 200: json("Whether the destination took the test, in words", testResult) } }),
      async (c) => {
        const project = requestProject(c);
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        return c.json(await testDestination(c.env, project, row));
      },
    );
  }

  if (kind === "syncs") {
    /** Lift of the sync's holdout: members sent against the share held out (core/lift.ts). */
    const syncPerformance = performanceView.extend({ sync_id: z.string(), holdout: syncSchema.shape.holdout });
    app.get(
      "/:id/performance",
      operation({ summary: "A sync's lift over its holdout", responses: { 200: json("Sent against held out", syncPerformance) } }),
      async (c) => {
        const project = requestProject(c);
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        const { holdout } = syncSchema.parse(row.definition);
        return c.json({ sync_id: row.id, holdout, ...(await exposurePerformance(db(c.env), project, syncOwner(row.id))) });
      },
    );

    /** Runs the sync now (as a UI button would) and answers with the run. */
    app.post("/:id/run", operation({ summary: "Run a sync now", responses: { 200: json("The run", syncRun.extend({ failing: z.boolean() })) } }), async (c) => {
      const project = requestProject(c);
      const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
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
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
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
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
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
        const project = requestProject(c);
        const row = await getDefinition(db(c.env), kind, project, c.req.param("id"));
        const runs = await listRuns(db(c.env), row.id);
        return c.json({ failing: await isFailing(c.env, row.id), runs });
      },
    );
  }

  app.delete("/:id", operation({ summary: `Delete a ${singular}`, responses: { 204: noContent } }), async (c) => {
    const project = requestProject(c);
    await deleteDefinition(db(c.env), kind, project, c.req.param("id"));
    await backfill(c.env, project);
    return c.body(null, 204);
  });

  return app;
}
