import type { Context, Hono } from "hono";
import { z } from "zod";
import { createApp, type AppEnv } from "../../app";
import { cohortSizes } from "../../cohort-index-store";
import { db, type Db } from "../../db";
import { createDefinition, deleteDefinition, listDefinitions, present, KINDS, updateDefinition, type DefinitionKind } from "../../definition-store";
import type { Destination } from "../../../core/syncs/schema";
import { newWebhookSecret } from "../../../core/syncs/standard-webhooks";
import { failingSyncs, lastRuns } from "../../../jobs/sync-run";
import { nextRunAt, syncSchema } from "../../../core/syncs/schema";
import { nameWarnings } from "../../catalog-store";
import { definitionsChanged } from "../../definitions-version";
import { requestedDefinition, requestProject } from "../../project-scope";
import { json, noContent, operation } from "../../api-contract";
import { definitionView, definitionWritten } from "./responses";
import { cohortRoutes } from "./cohort-routes";
import { destinationRoutes } from "./destination-routes";
import { recommendationRoutes } from "./recommendation-routes";
import { syncRoutes } from "./sync-routes";

/**
 * CRUD for one kind of definition. Every write is validated (schema, then a compile of
 * the project's whole set), bumps the project's definitions version — profiles pick it
 * up within seconds — and starts a backfill so existing profiles recompute.
 */
/** Warnings for names the project never saw, with their paths in the request (`definition.…`). */
async function definitionWarnings(d: Db, projectId: string, definition: unknown) {
  return (await nameWarnings(d, projectId, definition)).map((w) => ({ ...w, path: `definition.${w.path}` }));
}

/** The routes some kinds have beyond the CRUD every kind has (registered after it, before DELETE). */
const KIND_ROUTES: Partial<Record<DefinitionKind, (app: Hono<AppEnv>) => void>> = {
  cohorts: cohortRoutes,
  recommendations: recommendationRoutes,
  destinations: destinationRoutes,
  syncs: syncRoutes,
};

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
      const row = await requestedDefinition(c, kind);
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

  KIND_ROUTES[kind]?.(app);

  app.delete("/:id", operation({ summary: `Delete a ${singular}`, responses: { 204: noContent } }), async (c) => {
    const project = requestProject(c);
    await deleteDefinition(db(c.env), kind, project, c.req.param("id"));
    await backfill(c.env, project);
    return c.body(null, 204);
  });

  return app;
}
