import { z } from "zod";
import { createApp } from "../../app";
import { db } from "../../db";
import { getDefinition } from "../../definition-store";
import { createExport, exportFile, findExport, listExports, presentExport } from "../../export-store";
import { requestProject } from "../../project-scope";
import { jsonBody, parseWith } from "../../validate";

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

adminExports.get("/", async (c) => {
  const { limit } = parseWith(listSchema, c.req.query(), "query");
  return c.json({ exports: (await listExports(db(c.env), requestProject(c), limit)).map(presentExport) });
});

adminExports.post("/", async (c) => {
  const project = requestProject(c);
  const body = await jsonBody(c, createSchema);
  const cohort = await getDefinition(db(c.env), "cohorts", project, body.cohort_id);
  const row = await createExport(c.env, db(c.env), project, { cohortId: cohort.id, withProps: body.props, propKeys: body.prop_keys });
  return c.json(presentExport(row), 202);
});

adminExports.get("/:id", async (c) => c.json(presentExport(await findExport(db(c.env), requestProject(c), c.req.param("id")))));

adminExports.get("/:id/file", async (c) => {
  const { format } = parseWith(fileSchema, c.req.query(), "query");
  return exportFile(c.env, await findExport(db(c.env), requestProject(c), c.req.param("id")), format);
});
