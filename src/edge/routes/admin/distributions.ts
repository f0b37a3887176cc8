import { z } from "zod";
import { distribution, scoreDistribution } from "../../../core/histogram";
import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { recentComputedValues, recentScores } from "../../insights-store";
import { requestedDefinition, requestProject } from "../../project-scope";

// Where current users' values lie: a prediction's scores and a computed property's values over the most recently seen profiles.

/** A prediction's current scores across the most recently seen profiles: who would be in its top N % now. */
export const predictionScores = createApp();

const scoresView = z.object({
  prediction_id: z.string(),
  sampled: z.number().int(),
  distribution: z.looseObject({ kind: z.enum(["numeric", "categorical", "empty"]), count: z.number().int(), missing: z.number().int() }),
});

predictionScores.get(
  "/:id/scores",
  operation({
    summary: "A prediction's current scores across profiles",
    query: z.object({ sample: z.coerce.number().int().min(1).max(500).default(200) }),
    responses: { 200: json("Scores (0–1) of the most recently seen profiles in 10 bins; unscored profiles are `missing`", scoresView) },
  }),
  async (c) => {
    const project = requestProject(c);
    const row = await requestedDefinition(c, "predictions");
    const scores = await recentScores(c.env, project, row.id, c.req.valid("query").sample);
    return c.json({ prediction_id: row.id, sampled: scores.length, distribution: scoreDistribution(scores) });
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
  distribution: z.looseObject({
    kind: z.enum(["numeric", "categorical", "empty"]),
    count: z.number().int(),
    missing: z.number().int(),
    scale: z.enum(["linear", "log"]).optional().describe("numeric: log-spaced bins when equal widths would put most values in the first"),
  }),
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
    const row = await requestedDefinition(c, "computations");
    const values = await recentComputedValues(c.env, project, row.id, q.sample);
    return c.json({ computation_id: row.id, sampled: values.length, distribution: distribution(values) });
  },
);
