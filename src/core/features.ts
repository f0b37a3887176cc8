import type { Json } from "./json";
import type { Computation, EventSpec } from "./segments/schema";

/**
 * A prediction's features: each one a computed property (so the profile's incremental
 * engine maintains it, and the trainer replays the very same engine to a cutoff) plus a
 * transform to a number. One definition, used in training and in serving.
 */
export type Transform = "log1p" | "days" | "age_days" | "none";

export interface Feature {
  name: string;
  computation: Computation;
  transform: Transform;
  /** Used when the value is null (e.g. days since an event that never happened). */
  missing: number;
}

export interface FeatureSpec {
  version: number;
  features: Feature[];
}

export const FEATURE_SPEC_VERSION = 1;
const DAY = 86_400_000;

function c(event: EventSpec, aggregate: Computation["aggregate"], window: Computation["window"], property?: string): Computation {
  return { event, aggregate, window, cap: 100, ...(property === undefined ? {} : { property }) };
}
const all = { kind: "all" } as const;
const days = (n: number) => ({ kind: "rolling", duration: n * DAY }) as const;

/**
 * The default features for a goal: recency, frequency and monetary value of the goal,
 * overall activity, tenure, and recent counts of the most common event types.
 */
export function defaultFeatures(goal: EventSpec, valueProperty: string, commonTypes: readonly string[]): FeatureSpec {
  const any: EventSpec = { type: "*", filters: [] };
  const features: Feature[] = [
    { name: "days_since_last_event", computation: c(any, "time_since_last", all), transform: "days", missing: 3650 },
    { name: "days_since_first_event", computation: c(any, "first_seen", all), transform: "age_days", missing: 0 },
    { name: "days_since_last_goal", computation: c(goal, "time_since_last", all), transform: "days", missing: 3650 },
    { name: "goal_count", computation: c(goal, "count", all), transform: "log1p", missing: 0 },
    { name: "goal_count_30d", computation: c(goal, "count", days(30)), transform: "log1p", missing: 0 },
    { name: "goal_count_90d", computation: c(goal, "count", days(90)), transform: "log1p", missing: 0 },
    { name: "goal_value", computation: c(goal, "sum", all, valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_90d", computation: c(goal, "sum", days(90), valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_avg", computation: c(goal, "avg", all, valueProperty), transform: "log1p", missing: 0 },
    { name: "events_30d", computation: c(any, "count", days(30)), transform: "log1p", missing: 0 },
  ];
  for (const type of commonTypes.slice(0, 5)) {
    features.push({ name: `count_30d:${type}`, computation: c({ type, filters: [] }, "count", days(30)), transform: "log1p", missing: 0 });
  }
  return { version: FEATURE_SPEC_VERSION, features };
}

/** Computed values → the numeric vector a model scores (transforms applied). */
export function featureVector(spec: FeatureSpec, values: readonly Json[], now: number): number[] {
  return spec.features.map((f, i) => {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) return f.missing;
    switch (f.transform) {
      case "log1p":
        return Math.sign(v) * Math.log1p(Math.abs(v));
      case "days":
        return v / DAY;
      case "age_days":
        return (now - v) / DAY;
      case "none":
        return v;
    }
  });
}
