import { z } from "zod";
import { parseProfileKey, profileKey, type ProfileRef } from "../../core/event";
import { createApp, errorStyle } from "../app";
import { db } from "../db";
import { cohortSizes } from "../cohort-index-store";
import { createDefinition, getDefinition, listDefinitions, present } from "../definition-store";
import { AppError } from "../errors";
import { attemptReport, createExport, exportFile, findExport } from "../export-store";
import { requireSecretKey } from "../secret-auth";
import { applyStaticMembership, indexedMembers, knownProfiles } from "../static-members";
import { jsonBody } from "../validate";

/**
 * Amplitude's Behavioral Cohorts API shapes (list, async download, upload, membership),
 * authenticated with the project's keys. Tailor has no numeric Amplitude ids: where
 * Amplitude takes or returns one, Tailor uses the profile key (`u:<user_id>`, `d:<device_id>`).
 */
export const cohortApi = createApp();

for (const path of ["/api/3/cohorts", "/api/3/cohorts/*", "/api/5/cohorts/*"]) {
  cohortApi.use(path, errorStyle("dashboard"));
  cohortApi.use(path, requireSecretKey);
}

const seconds = (ms: number) => Math.floor(ms / 1000);
type CohortRow = ReturnType<typeof present>;

/** A cohort in Amplitude's list shape; `definition` is Tailor's own definition language. */
function amplitudeCohort(row: CohortRow) {
  const isStatic = (row.definition as { type?: string }).type === "static";
  return {
    id: row.id,
    name: row.name,
    description: row.description || null,
    definition: row.definition,
    type: isStatic ? "manual_upload" : "redshift",
    size: row.size ?? 0,
    archived: row.status !== "active",
    published: true,
    finished: true,
    hidden: false,
    owners: [] as string[],
    viewers: [] as string[],
    appId: 0,
    createdAt: seconds(row.created_at),
    lastMod: seconds(row.updated_at),
    lastComputed: seconds(Date.now()),
  };
}

cohortApi.get("/api/3/cohorts", async (c) => {
  const rows = await listDefinitions(db(c.env), "cohorts", c.get("projectId")!);
  return c.json({ cohorts: rows.map(amplitudeCohort) });
});

// Async download: request → status → file.
cohortApi.get("/api/5/cohorts/request/:id", async (c) => {
  const projectId = c.get("projectId")!;
  const cohort = await getDefinition(db(c.env), "cohorts", projectId, c.req.param("id"));
  const propKeys =
    c.req
      .queries("propKeys")
      ?.flatMap((k) => k.split(","))
      .filter((k) => k !== "") ?? [];
  const { id } = await createExport(c.env, db(c.env), projectId, { cohortId: cohort.id, withProps: c.req.query("props") === "1", propKeys });
  return c.json({ request_id: id, cohort_id: cohort.id }, 202);
});

// A failed download is a state of the request, reported in full (200), not an error of this call.
cohortApi.get("/api/5/cohorts/request-status/:rid", async (c) => {
  const row = await findExport(db(c.env), c.get("projectId")!, c.req.param("rid"));
  const status = row.status === "completed" ? "JOB COMPLETED" : row.status === "failed" ? "JOB FAILED" : "JOB INPROGRESS";
  return c.json({ request_id: row.id, cohort_id: row.cohortId, async_status: status, ...attemptReport(row) }, row.status === "running" ? 202 : 200);
});

/** CSV by default (Amplitude's format); `?format=json` for JSON. */
cohortApi.get("/api/5/cohorts/request/:rid/file", async (c) => {
  const row = await findExport(db(c.env), c.get("projectId")!, c.req.param("rid"));
  return exportFile(c.env, row, c.req.query("format") === "json" ? "json" : "csv");
});

const ID_TYPES = {
  BY_USER_ID: "user",
  BY_NAME: "user",
  BY_AMP_ID: "profile",
  BY_ID: "profile",
} as const;
const idsSchema = z.array(z.string().min(1).max(1024)).min(1).max(100_000);

/** Amplitude ids → profile refs: user ids, or Tailor profile keys (BY_ID / BY_AMP_ID). */
function refsOf(ids: readonly string[], idType: keyof typeof ID_TYPES): { refs: ProfileRef[]; invalid: string[] } {
  const refs: ProfileRef[] = [];
  const invalid: string[] = [];
  for (const id of new Set(ids)) {
    if (ID_TYPES[idType] === "user") refs.push({ kind: "user", id });
    else if (/^[ud]:./.test(id)) refs.push(parseProfileKey(id));
    else invalid.push(id);
  }
  return { refs, invalid };
}

const idOf = (ref: ProfileRef, idType: keyof typeof ID_TYPES) => (ID_TYPES[idType] === "user" ? ref.id : profileKey(ref));

const uploadSchema = z.object({
  name: z.string().trim().min(1).max(200),
  id_type: z.enum(["BY_USER_ID", "BY_AMP_ID", "BY_NAME", "BY_ID"]),
  ids: idsSchema,
  app_id: z.unknown().optional(),
  owner: z.string().optional(),
  published: z.boolean().optional(),
  skip_invalid_ids: z.boolean().default(true),
  existing_cohort_id: z.string().min(1).optional(),
});

/** Creates a static cohort from ids, or replaces an existing static cohort's members. */
cohortApi.post("/api/3/cohorts/upload", async (c) => {
  const projectId = c.get("projectId")!;
  const input = await jsonBody(c, uploadSchema);
  const { refs, invalid } = refsOf(input.ids, input.id_type);
  const known = await knownProfiles(db(c.env), projectId, refs);
  const matched = refs.filter((r) => known.has(profileKey(r)));
  const skipped = [...invalid, ...refs.filter((r) => !known.has(profileKey(r))).map((r) => idOf(r, input.id_type))];
  if (!input.skip_invalid_ids && skipped.length > 0) {
    throw new AppError(400, "invalid_request", `${skipped.length} ids are unknown or invalid`, { invalid_ids_sample: skipped.slice(0, 10) });
  }
  let cohort: Awaited<ReturnType<typeof getDefinition>>;
  if (input.existing_cohort_id !== undefined) {
    cohort = await getDefinition(db(c.env), "cohorts", projectId, input.existing_cohort_id);
    if ((cohort.definition as { type?: string }).type !== "static") throw new AppError(400, "invalid_request", `Cohort ${cohort.id} is not an uploaded cohort`);
    const keep = new Set(matched.map(profileKey));
    const leaving = (await indexedMembers(db(c.env), cohort.id)).filter((m) => !keep.has(profileKey(m)));
    await applyStaticMembership(c.env, projectId, cohort.id, leaving, false);
  } else {
    cohort = await createDefinition(db(c.env), "cohorts", projectId, { name: input.name, definition: { type: "static" }, parsed: { type: "static" } });
  }
  const cohortId = cohort.id;
  await applyStaticMembership(c.env, projectId, cohortId, matched, true);
  const size = (await cohortSizes(db(c.env), projectId, [cohortId])).get(cohortId) ?? 0;
  return c.json({
    cohortId,
    cohortsById: { [cohortId]: amplitudeCohort(present(cohort, size)) },
    metadata: { matched: matched.length, totals: input.ids.length, invalid_ids_sample: skipped.slice(0, 10) },
  });
});

const membershipSchema = z.object({
  cohort_id: z.string().min(1),
  count_group: z.string().optional(),
  memberships: z
    .array(z.object({ ids: idsSchema, id_type: z.enum(["BY_ID", "BY_NAME", "BY_AMP_ID", "BY_USER_ID"]), operation: z.enum(["ADD", "REMOVE"]) }))
    .min(1)
    .max(100),
  skip_invalid_ids: z.boolean().default(true),
});

/** Adds and removes members of an uploaded cohort, entry by entry in order. */
cohortApi.post("/api/3/cohorts/membership", async (c) => {
  const projectId = c.get("projectId")!;
  const input = await jsonBody(c, membershipSchema);
  const row = await getDefinition(db(c.env), "cohorts", projectId, input.cohort_id);
  if ((row.definition as { type?: string }).type !== "static") {
    throw new AppError(400, "invalid_request", `Cohort ${row.id} is behavioral: its members follow its definition`);
  }
  const plans = await Promise.all(
    input.memberships.map(async (m) => {
      const { refs, invalid } = refsOf(m.ids, m.id_type);
      const known = await knownProfiles(db(c.env), projectId, refs);
      const apply = refs.filter((r) => known.has(profileKey(r)));
      const skipped = [...invalid, ...refs.filter((r) => !known.has(profileKey(r))).map((r) => idOf(r, m.id_type))];
      return { m, apply, skipped };
    }),
  );
  const results = plans.map(({ m, skipped }) => ({ skipped_ids: skipped, id_type: m.id_type, operation: m.operation }));
  if (!input.skip_invalid_ids && plans.some((p) => p.skipped.length > 0)) {
    throw new AppError(400, "invalid_request", "Some ids are unknown or invalid; nothing was changed", { cohort_id: row.id, memberships_result: results });
  }
  for (const { m, apply } of plans) await applyStaticMembership(c.env, projectId, row.id, apply, m.operation === "ADD");
  return c.json({ cohort_id: row.id, memberships_result: results });
});
