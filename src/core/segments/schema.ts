import { z } from "zod";
import type { Json } from "../json";

/**
 * The definition language marketers edit (through the admin API and UI): event specs
 * with property filters, time windows, computed properties and cohort expressions.
 * Schemas validate and normalise (durations become milliseconds, dates epoch ms).
 */
const json: z.ZodType<Json> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));

export const FILTER_OPS = ["eq", "neq", "in", "not_in", "contains", "not_contains", "gt", "gte", "lt", "lte", "set", "not_set"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

const conditionShape = { op: z.enum(FILTER_OPS), value: json.optional() };
type Condition = { op: FilterOp; value?: Json | undefined };

function checkCondition(c: Condition, ctx: z.RefinementCtx): void {
  if (c.op === "set" || c.op === "not_set") return;
  if (c.value === undefined) ctx.addIssue({ code: "custom", path: ["value"], message: `op ${c.op} needs a value` });
  else if ((c.op === "in" || c.op === "not_in") && !Array.isArray(c.value)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: `op ${c.op} needs an array value` });
  } else if (["gt", "gte", "lt", "lte"].includes(c.op) && typeof c.value !== "number") {
    ctx.addIssue({ code: "custom", path: ["value"], message: `op ${c.op} needs a number` });
  }
}

export const filterSchema = z.object({ property: z.string().min(1).max(200), ...conditionShape }).superRefine(checkCondition);
export type Filter = z.infer<typeof filterSchema>;

/** Events of one type (`*` = any type) whose properties pass every filter. */
export const eventSpecSchema = z.object({
  type: z.string().min(1).max(1024),
  filters: z.array(filterSchema).max(20).default([]),
});
export type EventSpec = z.infer<typeof eventSpecSchema>;

const MINUTE = 60_000;
const durationSchema = z
  .object({
    days: z.number().nonnegative().optional(),
    hours: z.number().nonnegative().optional(),
    minutes: z.number().nonnegative().optional(),
  })
  .transform((d) => Math.round(((d.days ?? 0) * 1440 + (d.hours ?? 0) * 60 + (d.minutes ?? 0)) * MINUTE))
  .refine((ms) => ms >= MINUTE && ms <= 3650 * 1440 * MINUTE, "a duration between 1 minute and 10 years");

const instantSchema = z
  .union([z.number().int().nonnegative(), z.iso.datetime({ offset: true }).or(z.iso.date())])
  .transform((v) => (typeof v === "number" ? v : Date.parse(v)));

/**
 * Which events count, as of the moment of evaluation `now`:
 * - all: every event;
 * - rolling: events with time > now − duration (changes as time passes);
 * - since / between: events in fixed dates (inclusive);
 * - since_last: events after the latest event matching `event` (all of them if it never happened).
 */
export const windowSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all") }),
  z.object({ kind: z.literal("rolling"), duration: durationSchema }),
  z.object({ kind: z.literal("since"), from: instantSchema }),
  z.object({ kind: z.literal("between"), from: instantSchema, to: instantSchema }).refine((w) => w.from <= w.to, {
    message: "from must not be after to",
    path: ["to"],
  }),
  z.object({ kind: z.literal("since_last"), event: eventSpecSchema }),
]);
export type Window = z.infer<typeof windowSchema>;

export const AGGREGATES = [
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "first",
  "last",
  "most_frequent",
  "distinct_count",
  "distinct_values",
  "first_seen",
  "last_seen",
  "time_since_last",
] as const;
export type Aggregate = (typeof AGGREGATES)[number];
const NEEDS_PROPERTY = new Set<Aggregate>(["sum", "avg", "min", "max", "first", "last", "most_frequent", "distinct_count", "distinct_values"]);

export const computationSchema = z
  .object({
    event: eventSpecSchema,
    aggregate: z.enum(AGGREGATES),
    property: z.string().min(1).max(200).optional(),
    window: windowSchema.default({ kind: "all" }),
    /** For distinct_values: how many values to keep (the smallest, in a stable order). */
    cap: z.number().int().min(1).max(1000).default(100),
  })
  .superRefine((c, ctx) => {
    if (NEEDS_PROPERTY.has(c.aggregate) && c.property === undefined) {
      ctx.addIssue({ code: "custom", path: ["property"], message: `aggregate ${c.aggregate} needs a property` });
    }
  });
export type Computation = z.infer<typeof computationSchema>;

export const COMPARATORS = [">=", ">", "=", "<=", "<"] as const;
export type Comparator = (typeof COMPARATORS)[number];

const measureSchema = z.union([z.literal("count"), z.object({ sum: z.string().min(1) }), z.object({ distinct: z.string().min(1) })]).default("count");
export type Measure = z.infer<typeof measureSchema>;

export type Clause =
  | { performed: { event: EventSpec; measure: Measure; op: Comparator; value: number; window: Window } }
  | { user_property: { property: string; op: FilterOp; value?: Json | undefined } }
  | { computation: { id: string; op: FilterOp; value?: Json | undefined } }
  | { cohort: { id: string } }
  | { sequence: { steps: [EventSpec, EventSpec]; within: number; window: Window } }
  | { prediction: { id: string; on: "score" | "pct"; op: FilterOp; value: number } };
export type Expr = { all: Expr[] } | { any: Expr[] } | { not: Expr } | Clause;

const clauseSchemas = [
  z
    .object({
      performed: z.object({
        event: eventSpecSchema,
        measure: measureSchema,
        op: z.enum(COMPARATORS).default(">="),
        value: z.number().default(1),
        window: windowSchema.default({ kind: "all" }),
      }),
    })
    .strict(),
  z.object({ user_property: z.object({ property: z.string().min(1).max(200), ...conditionShape }).superRefine(checkCondition) }).strict(),
  z.object({ computation: z.object({ id: z.string().min(1), ...conditionShape }).superRefine(checkCondition) }).strict(),
  z.object({ cohort: z.object({ id: z.string().min(1) }) }).strict(),
  /**
   * Predictive cohorts: a prediction's score (0–1) or percentile (0–100) compared with a
   * value; `top_percent: 10` is sugar for percentile ≥ 90, `bottom_percent: 10` for ≤ 10.
   */
  z
    .object({
      prediction: z
        .object({
          id: z.string().min(1),
          top_percent: z.number().gt(0).max(100).optional(),
          bottom_percent: z.number().gt(0).max(100).optional(),
          on: z.enum(["score", "pct"]).default("pct"),
          op: z.enum(["gt", "gte", "lt", "lte"]).optional(),
          value: z.number().optional(),
        })
        .transform((p, ctx) => {
          if (p.top_percent !== undefined) return { id: p.id, on: "pct" as const, op: "gte" as const, value: 100 - p.top_percent };
          if (p.bottom_percent !== undefined) return { id: p.id, on: "pct" as const, op: "lte" as const, value: p.bottom_percent };
          if (p.op === undefined || p.value === undefined) {
            ctx.addIssue({ code: "custom", message: "give top_percent, bottom_percent, or op and value", path: ["op"] });
            return z.NEVER;
          }
          return { id: p.id, on: p.on, op: p.op, value: p.value };
        }),
    })
    .strict(),
  z
    .object({
      sequence: z.object({
        steps: z.tuple([eventSpecSchema, eventSpecSchema]),
        within: durationSchema,
        window: windowSchema.default({ kind: "all" }),
      }),
    })
    .strict(),
] as const;

export const exprSchema: z.ZodType<Expr> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(exprSchema).min(1).max(50) }).strict(),
    z.object({ any: z.array(exprSchema).min(1).max(50) }).strict(),
    z.object({ not: exprSchema }).strict(),
    ...clauseSchemas,
  ]),
) as z.ZodType<Expr>;

export const cohortDefinitionSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("behavioral"), match: exprSchema }),
  /** Members are uploaded as id lists; the profile only learns of its own membership. */
  z.object({ type: z.literal("static") }),
]);
export type CohortDefinition = z.infer<typeof cohortDefinitionSchema>;
