import { z } from "zod";
import type { DerivedFeature, Feature, FeatureSpec } from "./features";
import type { Computation } from "./segments/schema";

/**
 * The hand-off between the Node trainer and the Worker, declared once: what a published
 * model's metadata holds, the feature spec versions the Worker can serve, and the ONNX
 * tensor names each kind of model is read with. The trainer checks its metadata before
 * publishing, the admin API refuses metadata that does not match (400 naming the field),
 * and the Worker parses it again when it loads a model.
 */

/** Feature spec versions this Worker serves (2 added derived features). */
export const FEATURE_SPEC_VERSIONS = [1, 2] as const;

/** Tensor names: a prediction model maps `features` [N, F] to `probability` [N]. */
export const PREDICTION_TENSORS = { input: "features", output: "probability" } as const;
/** A recommender reads these inputs (`counts` only when it has a repeat component) and answers the top k. */
export const RECOMMENDER_TENSORS = { inputs: ["items", "weights", "mask", "k"], optional: ["counts"], outputs: ["indices", "scores"] } as const;

/** A feature's computation as compiled (windows in ms), the form the trainer and the engine share. */
const compiledComputation = z.custom<Computation>(
  (v) =>
    typeof v === "object" && v !== null && typeof (v as { aggregate?: unknown }).aggregate === "string" && typeof (v as { event?: unknown }).event === "object",
  { error: "expected a compiled computation (event, aggregate, window)" },
);

const featureSchema: z.ZodType<Feature> = z.object({
  name: z.string().min(1),
  computation: compiledComputation,
  transform: z.enum(["log1p", "days", "age_days", "none"]),
  missing: z.number(),
});
const derivedFeatureSchema: z.ZodType<DerivedFeature> = z.object({
  name: z.string().min(1),
  op: z.enum(["interval", "ratio"]),
  of: z.array(z.string()).min(1),
  transform: z.enum(["log1p", "none"]),
  missing: z.number(),
});

export const featureSpecSchema: z.ZodType<FeatureSpec> = z.object({
  version: z
    .number()
    .int()
    .refine((v) => (FEATURE_SPEC_VERSIONS as readonly number[]).includes(v), {
      error: (issue) => `feature spec version ${String(issue.input)} is not one this Worker serves (${FEATURE_SPEC_VERSIONS.join(", ")}): update Tailor`,
    }),
  features: z.array(featureSchema).min(1),
  derived: z.array(derivedFeatureSchema).optional(),
});

/** A published prediction model's metadata (the trainer adds reporting fields; they pass through). */
export const predictionMetadataSchema = z.looseObject({
  prediction_id: z.string().min(1).optional(),
  feature_spec: featureSpecSchema,
  /** Score quantiles on the training holdout (0–100th), for a score's percentile. */
  quantiles: z.array(z.number()),
  metrics: z.record(z.string(), z.unknown()).default({}),
  tensors: z.object({ input: z.literal(PREDICTION_TENSORS.input), output: z.literal(PREDICTION_TENSORS.output) }).default(PREDICTION_TENSORS),
});
export type PredictionMetadata = z.infer<typeof predictionMetadataSchema>;

/** A published recommendation model's metadata: its items in model index order and the popular ones. */
export const recommendationMetadataSchema = z.looseObject({
  recommendation_id: z.string().min(1).optional(),
  items: z.array(z.object({ id: z.string(), props: z.record(z.string(), z.json()) })),
  popular: z.array(z.number().int().nonnegative()),
  metrics: z.record(z.string(), z.unknown()).default({}),
});
export type RecommendationMetadata = z.infer<typeof recommendationMetadataSchema>;

export const modelMetadataSchema = { prediction: predictionMetadataSchema, recommendation: recommendationMetadataSchema } as const;

/** What D1 keeps of a prediction model for serving without reading R2 (the `serving` column). */
export const predictionServingSchema = z.object({ feature_spec: featureSpecSchema, quantiles: z.array(z.number()) });
export type PredictionServing = z.infer<typeof predictionServingSchema>;
