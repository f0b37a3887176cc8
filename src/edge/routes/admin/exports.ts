import { z } from "zod";
import { createApp } from "../../app";
import { db } from "../../db";
import { getDefinition } from "../../definition-store";
import { createExport, exportFile, findExport, listExports, presentExport } from "../../export-store";
import { requestProject } from "../../project-scope";
import { json, operation } from "../../api-contract";
import { exportView } from "./responses";

/**
 * Cohort downloads, mounted at /admin/api/projects/:project/exports: the same jobs the
 * Cohort API's request → status → file runs (all members or a reported failure), asked
 * for and fetched from the admin UI.
 */
export const adminExports = createApp();

const listSchema = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) });
const createSchema = z.object({
  cohort_id: z.string().min(1),
  /** User property keys as file columns: none by default, `[]` with `props` for all of them. */
  props: z.boolean().default(false),
  prop_keys: z.array(z.string().min(1).max(1024)).max(100).default([]),
});
const fileSchema = z.object({ format: z.enum(["csv", "json"]).default("csv") });

adminExports.get(
  "/",
  operation({ summary: "List cohort downloads", query: listSchema, responses: { 200: json("Newest first", z.object({ exports: z.array(exportView) })) } }),
  async (c) => {
    const { limit } = c.req.valid("query");
    return c.json({ exports: (await listExports(db(c.env), requestProject(c), limit)).map(presentExport) });
  },
);

adminExports.post(
  "/",
  operation({
    summary: "Request a cohort download",
    description: "All members or a reported failure, never a partial file.",
    body: createSchema,
    responses: { 202: json("The job", exportView) },
  }),
  async (c) => {
    const project = requestProject(c);
    const body = c.req.valid("json");
    const cohort = await getDefinition(db(c.env), "cohorts", project, body.cohort_id);
    const row = await createExport(c.env, db(c.env), project, { cohortId: cohort.id, withProps: body.props, propKeys: body.prop_keys });
    return c.json(presentExport(row), 202);
  },
);

adminExports.get("/:id", operation({ summary: "Read a cohort download", responses: { 200: json("The job", exportView) } }), async (c) =>
  c.json(presentExport(await findExport(db(c.env), requestProject(c), c.req.param("id")))),
);

adminExports.get(
  "/:id/file",
  operation({
    summary: "Download a cohort's members",
    query: fileSchema,
    responses: { 200: { description: "The members, as CSV or JSON", mediaType: "text/csv" } },
  }),
  async (c) => {
    const { format } = c.req.valid("query");
    return exportFile(c.env, await findExport(db(c.env), requestProject(c), c.req.param("id")), format);
  },
);
