import { z } from "zod";
import { compileDefinitions, compileLeniently, DefinitionError, type CompiledSegments } from "../../../core/segments/compile";
import { estimateCohortSize } from "../../../core/segments/preview";
import { cohortDefinitionSchema } from "../../../core/segments/schema";
import { loadDefinitionSet } from "../../../db/definitions";
import { epochMs, json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { db } from "../../db";
import { cohortOverlaps, cohortSizes } from "../../cohort-index-store";
import { getDefinition, listDefinitions } from "../../definition-store";
import { indexedMembers } from "../../static-members";
import { AppError } from "../../errors";
import { nameWarnings } from "../../catalog-store";
import { nameWarnings as nameWarningsView } from "./responses";
import { dailyCohortChanges, sampleForEstimate } from "../../insights-store";
import { requestedDefinition, requestProject } from "../../project-scope";

/**
 * A cohort beyond its definition: how its membership moves (daily enters and exits from
 * the change log), its members, its overlap with the others, and the size of an unsaved
 * definition (a sample of profiles replayed through their own engine).
 */
export const cohortInsights = createApp();

const trendView = z.object({ cohort_id: z.string(), days: z.array(z.object({ day: epochMs, entered: z.number().int(), exited: z.number().int() })) });

cohortInsights.get(
  "/:id/trend",
  operation({
    summary: "A cohort's daily entries and exits",
    query: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
    responses: { 200: json("One row per UTC day, oldest first", trendView) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const row = await requestedDefinition(c, "cohorts");
    return c.json({ cohort_id: row.id, days: await dailyCohortChanges(db(c.env), row.id, q.days, Date.now()) });
  },
);

const membersView = z.object({
  cohort_id: z.string(),
  size: z.number().int(),
  members: z.array(z.object({ user_id: z.string().nullable(), device_id: z.string().nullable() })),
});

/** A cohort's members from the membership index, the first `limit` by id (the whole list: a download). */
cohortInsights.get(
  "/:id/members",
  operation({
    summary: "List a cohort's members",
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) }),
    responses: { 200: json("The first members, by id, and the cohort's size", membersView) },
  }),
  async (c) => {
    const project = requestProject(c);
    const row = await requestedDefinition(c, "cohorts");
    const [members, sizes] = await Promise.all([indexedMembers(db(c.env), row.id, c.req.valid("query").limit), cohortSizes(db(c.env), project, [row.id])]);
    return c.json({
      cohort_id: row.id,
      size: sizes.get(row.id) ?? 0,
      members: members.map((m) => ({ user_id: m.kind === "user" ? m.id : null, device_id: m.kind === "device" ? m.id : null })),
    });
  },
);

const overlapView = z.object({
  cohort_id: z.string(),
  size: z.number().int(),
  overlaps: z.array(
    z.object({
      cohort_id: z.string(),
      name: z.string(),
      size: z.number().int(),
      both: z.number().int().describe("members of both cohorts"),
    }),
  ),
});

/** How this cohort's members overlap every other cohort's (the membership index), most shared first. */
cohortInsights.get(
  "/:id/overlap",
  operation({ summary: "A cohort's overlap with the project's other cohorts", responses: { 200: json("Members shared with each other cohort", overlapView) } }),
  async (c) => {
    const project = requestProject(c);
    const d = db(c.env);
    const row = await getDefinition(d, "cohorts", project, c.req.param("id"));
    const all = await listDefinitions(d, "cohorts", project); // each with its size
    const others = all.filter((o) => o.id !== row.id);
    const shared = await cohortOverlaps(
      d,
      row.id,
      others.map((o) => o.id),
    );
    const overlaps = others
      .map((o) => ({ cohort_id: o.id, name: o.name, size: o.size ?? 0, both: shared.get(o.id) ?? 0 }))
      .sort((a, b) => b.both - a.both || a.name.localeCompare(b.name));
    return c.json({ cohort_id: row.id, size: all.find((o) => o.id === row.id)?.size ?? 0, overlaps });
  },
);

const previewSchema = z.object({ definition: cohortDefinitionSchema });
const PREVIEW_ID = "__preview";

const estimateView = z.object({
  sampled: z.number().int(),
  matched: z.number().int(),
  estimate: z.number().int(),
  profiles: z.number().int(),
  exact: z.boolean().describe("every profile was read: the estimate is the size"),
  low: z.number().int().describe("the size's 95 % interval"),
  high: z.number().int(),
  warnings: nameWarningsView,
});

/**
 * The size a cohort definition would have, before it is saved: estimated on a random
 * sample of profiles (their stored events replayed through the profile's own engine).
 */

cohortInsights.post(
  "/preview",
  operation({
    summary: "Estimate a cohort's size before saving it",
    query: z.object({ sample: z.coerce.number().int().min(1).max(500).default(500) }),
    body: previewSchema,
    responses: { 200: json("The estimate from a random sample of profiles", estimateView) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const project = requestProject(c);
    const { definition: parsed } = c.req.valid("json");
    const { usable: set } = compileLeniently(await loadDefinitionSet(db(c.env), project));
    let compiled: CompiledSegments;
    try {
      compiled = compileDefinitions({ ...set, cohorts: [...set.cohorts, { id: PREVIEW_ID, definition: parsed }] });
    } catch (err) {
      if (err instanceof DefinitionError) throw new AppError(400, "invalid_request", err.message, [{ field: "definition", message: err.message }]);
      throw err;
    }
    const [{ total, sample }, warnings] = await Promise.all([sampleForEstimate(c.env, project, q.sample), nameWarnings(db(c.env), project, parsed)]);
    return c.json({
      ...estimateCohortSize(compiled, PREVIEW_ID, sample, total, Date.now()),
      warnings: warnings.map((w) => ({ ...w, path: `definition.${w.path}` })),
    });
  },
);
