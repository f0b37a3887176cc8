import { z } from "zod";
import { eventSpecSchema } from "./segments/schema";

/**
 * A prediction: the likelihood that a user performs the goal event within the horizon.
 * Features are the default set (see features.ts) plus the chosen computed properties.
 */
export const predictionSchema = z.object({
  goal: z.object({ event: eventSpecSchema }),
  horizon_days: z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90)]),
  /** The goal event's property that carries its value (monetary features). */
  value_property: z.string().min(1).max(200).default("revenue"),
  /** Only members of this cohort are scored (and trained on). */
  population: z.object({ cohort: z.string().min(1) }).optional(),
  /** Extra features: ids of numeric computed properties. */
  computations: z.array(z.string().min(1)).max(50).default([]),
});
export type Prediction = z.infer<typeof predictionSchema>;
