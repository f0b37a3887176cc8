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

/**
 * A feature computed from other features' values (in natural units: days for times,
 * plain numbers otherwise), so it needs no state of its own:
 * - interval: (a − b) / (c − 1), e.g. days between first and last order over orders − 1;
 * - ratio: a / b.
 * `of` names features, or derived features listed before this one.
 */
export interface DerivedFeature {
  name: string;
  op: "interval" | "ratio";
  of: string[];
  transform: "log1p" | "none";
  /** Used when an input is missing or the result is not finite (e.g. one order, no interval). */
  missing: number;
}

export interface FeatureSpec {
  version: number;
  features: Feature[];
  /** Appended after `features` in the vector (models of version 1 have none). */
  derived?: DerivedFeature[];
}

export const FEATURE_SPEC_VERSION = 2;
const DAY = 86_400_000;

function c(event: EventSpec, aggregate: Computation["aggregate"], window: Computation["window"], property?: string): Computation {
  return { event, aggregate, window, cap: 100, ...(property === undefined ? {} : { property }) };
}
const all = { kind: "all" } as const;
const days = (n: number) => ({ kind: "rolling", duration: n * DAY }) as const;

/**
 * The default features for a goal: recency, frequency at several horizons (recency-
 * weighted rates), monetary value, tenure, the rhythm of the goal (days between goals,
 * how overdue the next one is, the recent share of all goals), overall activity, and
 * recent counts of the most common event types.
 */
export function defaultFeatures(goal: EventSpec, valueProperty: string, commonTypes: readonly string[]): FeatureSpec {
  const any: EventSpec = { type: "*", filters: [] };
  const features: Feature[] = [
    { name: "days_since_last_event", computation: c(any, "time_since_last", all), transform: "days", missing: 3650 },
    { name: "days_since_first_event", computation: c(any, "first_seen", all), transform: "age_days", missing: 0 },
    { name: "days_since_last_goal", computation: c(goal, "time_since_last", all), transform: "days", missing: 3650 },
    { name: "days_since_first_goal", computation: c(goal, "first_seen", all), transform: "age_days", missing: 0 },
    { name: "goal_count", computation: c(goal, "count", all), transform: "log1p", missing: 0 },
    ...[14, 30, 60, 90, 180].map((n): Feature => ({ name: `goal_count_${n}d`, computation: c(goal, "count", days(n)), transform: "log1p", missing: 0 })),
    { name: "goal_value", computation: c(goal, "sum", all, valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_30d", computation: c(goal, "sum", days(30), valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_90d", computation: c(goal, "sum", days(90), valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_avg", computation: c(goal, "avg", all, valueProperty), transform: "log1p", missing: 0 },
    { name: "goal_value_max", computation: c(goal, "max", all, valueProperty), transform: "log1p", missing: 0 },
    { name: "events_30d", computation: c(any, "count", days(30)), transform: "log1p", missing: 0 },
  ];
  for (const type of commonTypes.slice(0, 5)) {
    features.push({ name: `count_30d:${type}`, computation: c({ type, filters: [] }, "count", days(30)), transform: "log1p", missing: 0 });
    features.push({ name: `count_180d:${type}`, computation: c({ type, filters: [] }, "count", days(180)), transform: "log1p", missing: 0 });
  }
  const derived: DerivedFeature[] = [
    {
      name: "days_between_goals",
      op: "interval",
      of: ["days_since_first_goal", "days_since_last_goal", "goal_count"],
      transform: "log1p",
      missing: Math.log1p(365),
    },
    { name: "goal_overdue", op: "ratio", of: ["days_since_last_goal", "days_between_goals"], transform: "log1p", missing: Math.log1p(10) },
    { name: "goal_recent_share", op: "ratio", of: ["goal_count_90d", "goal_count"], transform: "none", missing: 0 },
  ];
  return { version: FEATURE_SPEC_VERSION, features, derived };
}

/** Every column of the vector, in order: the computed features, then the derived ones. */
export function featureNames(spec: FeatureSpec): string[] {
  return [...spec.features.map((f) => f.name), ...(spec.derived ?? []).map((d) => d.name)];
}

/** A computed value in natural units (days for times), or null when missing. */
function natural(f: Feature, v: Json | undefined, now: number): number | null {
  if (typeof v !== "number" || !Number.isFinite(v)) return null;
  return f.transform === "days" ? v / DAY : f.transform === "age_days" ? (now - v) / DAY : v;
}

function derive(spec: FeatureSpec, values: readonly Json[], now: number): number[] {
  const known = new Map<string, number | null>(spec.features.map((f, i) => [f.name, natural(f, values[i], now)]));
  return (spec.derived ?? []).map((d) => {
    const [a, b, c] = d.of.map((name) => known.get(name) ?? null);
    const raw = a == null || b == null ? null : d.op === "ratio" ? a / b : c == null || c < 2 ? null : (a - b) / (c - 1);
    const ok = raw !== null && Number.isFinite(raw);
    known.set(d.name, ok ? raw : null);
    return ok ? (d.transform === "log1p" ? Math.sign(raw) * Math.log1p(Math.abs(raw)) : raw) : d.missing;
  });
}

/** Computed values → the numeric vector a model scores (transforms applied, derived features appended). */
export function featureVector(spec: FeatureSpec, values: readonly Json[], now: number): number[] {
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch is exhaustive (tsc checks it)
  const computed = spec.features.map((f, i) => {
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
  return [...computed, ...derive(spec, values, now)];
}
