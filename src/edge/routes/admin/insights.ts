import { and, desc, eq, gte, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { dailyChanges, distribution } from "../../../core/histogram";
import { membershipChanges, users } from "../../../db/schema";
import { profileStub } from "../../../durable/stub";
import { createApp } from "../../app";
import { db } from "../../db";
import { getDefinition } from "../../definition-store";
import { requestProject } from "../../project-scope";
import { json, operation } from "../../api-contract";
import { epochMs } from "../../api-contract";
import { compileDefinitions, compileLeniently, DefinitionError, type CompiledSegments } from "../../../core/segments/compile";
import { estimateCohortSize, type SampledProfile } from "../../../core/segments/preview";
import { cohortDefinitionSchema } from "../../../core/segments/schema";
import { loadDefinitionSet } from "../../../db/definitions";
import { withScores } from "../../../core/scores";
import { AppError } from "../../errors";

const DAY = 86_400_000;

/** How a cohort's membership moves: daily enters and exits from the change log. */
export const cohortTrend = createApp();

const trendView = z.object({ cohort_id: z.string(), days: z.array(z.object({ day: epochMs, entered: z.number().int(), exited: z.number().int() })) });

cohortTrend.get(
  "/:id/trend",
  operation({
    summary: "A cohort's daily entries and exits",
    query: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
    responses: { 200: json("One row per UTC day, oldest first", trendView) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const project = requestProject(c);
    const row = await getDefinition(db(c.env), "cohorts", project, c.req.param("id"));
    const now = Date.now();
    const since = (Math.floor(now / DAY) - q.days + 1) * DAY;
    // One index range (cohort_id) of the change log, grouped by UTC day.
    const rows = await db(c.env)
      .select({
        day: sql<number>`CAST(${membershipChanges.changedAt} / ${sql.raw(String(DAY))} AS INTEGER)`,
        in_cohort: membershipChanges.inCohort,
        n: sql<number>`count(*)`,
      })
      .from(membershipChanges)
      .where(and(eq(membershipChanges.cohortId, row.id), gte(membershipChanges.changedAt, since)))
      .groupBy(sql`1`, membershipChanges.inCohort);
    return c.json({ cohort_id: row.id, days: dailyChanges(rows, now, q.days) });
  },
);

const previewSchema = z.object({ definition: cohortDefinitionSchema });
const PREVIEW_ID = "__preview";

/**
 * The size a cohort definition would have, before it is saved: estimated on a random
 * sample of profiles (their stored events replayed through the profile's own engine).
 */
const estimateView = z.object({ sampled: z.number().int(), matched: z.number().int(), estimate: z.number().int(), profiles: z.number().int() });

cohortTrend.post(
  "/preview",
  operation({
    summary: "Estimate a cohort's size before saving it",
    query: z.object({ sample: z.coerce.number().int().min(1).max(500).default(200) }),
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
    const live = and(eq(users.projectId, project), isNull(users.mergedInto));
    const [[total], picked] = await Promise.all([
      db(c.env).select({ n: sql<number>`count(*)` }).from(users).where(live),
      db(c.env).select({ userId: users.userId, deviceId: users.deviceId }).from(users).where(live).orderBy(sql`random()`).limit(q.sample),
    ]);
    const sample: SampledProfile[] = [];
    for (let i = 0; i < picked.length; i += 25) {
      const batch = picked.slice(i, i + 25).map(async (p) => {
        const stub = profileStub(c.env, project, p.userId !== null ? { kind: "user", id: p.userId } : { kind: "device", id: p.deviceId ?? "" });
        const [read, events] = await Promise.all([stub.read(false), stub.getEvents(Number.MAX_SAFE_INTEGER)]);
        return read === null ? null : { events, properties: withScores(read.profile.user_properties, read.scores) };
      });
      for (const p of await Promise.all(batch)) if (p !== null) sample.push(p);
    }
    return c.json(estimateCohortSize(compiled, PREVIEW_ID, sample, total?.n ?? 0, Date.now()));
  },
);

/**
 * A computed property's values across a sample of profiles (the most recently seen):
 * values live in each profile's Durable Object, so this reads `sample` of them, never all.
 */
export const computationDistribution = createApp();

const distributionView = z.object({
  computation_id: z.string(),
  sampled: z.number().int(),
  distribution: z.looseObject({ kind: z.enum(["numeric", "categorical", "empty"]), count: z.number().int(), missing: z.number().int() }),
});

computationDistribution.get(
  "/:id/distribution",
  operation({
    summary: "A computed property's values across profiles",
    query: z.object({ sample: z.coerce.number().int().min(1).max(500).default(200) }),
    responses: { 200: json("Bins (numbers) or the most frequent values, over the most recently seen profiles", distributionView) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const project = requestProject(c);
    const row = await getDefinition(db(c.env), "computations", project, c.req.param("id"));
    const profiles = await db(c.env)
      .select({ userId: users.userId, deviceId: users.deviceId })
      .from(users)
      .where(and(eq(users.projectId, project), isNull(users.mergedInto)))
      .orderBy(desc(users.lastSeen))
      .limit(q.sample);
    const values: unknown[] = [];
    for (let i = 0; i < profiles.length; i += 25) {
      const batch = profiles.slice(i, i + 25).map(async (p) => {
        const ref = p.userId !== null ? ({ kind: "user", id: p.userId } as const) : ({ kind: "device", id: p.deviceId ?? "" } as const);
        const view = await profileStub(c.env, project, ref).getSegments();
        return view?.computations[row.id] ?? null;
      });
      values.push(...(await Promise.all(batch)));
    }
    return c.json({ computation_id: row.id, sampled: profiles.length, distribution: distribution(values) });
  },
);
