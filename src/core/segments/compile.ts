import type { Json } from "../json";
import type { FeatureSpec } from "../features";
import type { Prediction } from "../predictions";
import { goalEvent, type Recommendation } from "../recommendations/schema";
import type { Aggregate, CohortDefinition, Comparator, Computation, EventSpec, Expr, FilterOp, Window } from "./schema";
import type { StreamSpec } from "./stream";

/** A prediction with its active model (null until one is trained and published). */
export interface PredictionEntry {
  id: string;
  definition: Prediction;
  model: { id: string; r2Key: string; spec: FeatureSpec; quantiles: number[] } | null;
}

/** A recommendation with its active model (null until one is trained and published). */
export interface RecommendationEntry {
  id: string;
  definition: Recommendation;
  model: { id: string; r2Key: string } | null;
}

/** The definitions of one project at one version, as stored (already validated). */
export interface DefinitionSet {
  version: string;
  computations: { id: string; definition: Computation }[];
  cohorts: { id: string; definition: CohortDefinition }[];
  predictions?: PredictionEntry[];
  recommendations?: RecommendationEntry[];
  /** Stored rows that no longer parse (left out of the set, see loadDefinitionSet). */
  skipped?: SkippedDefinition[];
}

/** A stored definition the running code cannot use, and why. */
export interface SkippedDefinition {
  id: string;
  reason: string;
}

/**
 * A recommendation served at the edge. The profile's item history lives in hidden
 * computations (value → count streams), kept from the moment the definition exists,
 * so a model published later ranks from the whole history.
 */
export interface CompiledRecommendation extends RecommendationEntry {
  /** Computation index of the items the profile had item events with. */
  interacted: number;
  /** Computation index of the items it reached the goal with (the same stream when the goal is the item event). */
  converted: number;
}

/** A prediction served at the edge: its model and the computations that are its features. */
export interface CompiledPrediction {
  id: string;
  model: NonNullable<PredictionEntry["model"]>;
  /** Indices into `computations`, in feature-spec order. */
  features: number[];
  /** Only members of this cohort are scored. */
  population?: string;
  /** What the score predicts: the goal event within the horizon (served windows resolve by it). */
  goal: EventSpec;
  horizonDays: number;
}

/** Hidden computations (model features) are not shown as computed properties. */
export const HIDDEN_PREFIX = "__";

/** The pseudo user property a profile's score or percentile appears under for cohort clauses. */
export function scoreProperty(predictionId: string, on: "score" | "pct"): string {
  return `$prediction:${predictionId}:${on}`;
}

/** A cohort expression with its event conditions resolved to stream indices. */
export type CompiledExpr =
  | { all: CompiledExpr[] }
  | { any: CompiledExpr[] }
  | { not: CompiledExpr }
  | { performed: { stream: number; measure: "count" | "sum" | "distinct"; op: Comparator; value: number } }
  | { user_property: { property: string; op: FilterOp; value?: Json | undefined } }
  | { computation: { index: number; op: FilterOp; value?: Json | undefined } }
  | { cohort: { index: number } }
  | { sequence: { first: number; then: number; within: number } };

export interface CompiledComputation {
  id: string;
  stream: number;
  aggregate: Aggregate;
  cap: number;
}

export interface CompiledCohort {
  id: string;
  static: boolean;
  expr: CompiledExpr | null;
  streams: number[];
  computations: number[];
  cohorts: number[];
  userProperties: boolean;
}

export interface CompiledSegments {
  version: string;
  predictions: CompiledPrediction[];
  recommendations: CompiledRecommendation[];
  streams: StreamSpec[];
  /** Streams fed by each event type (`*` streams are in every list). */
  streamsByType: Map<string, number[]>;
  anyTypeStreams: number[];
  /** since_last streams whose window resets on each event type. */
  resetsByType: Map<string, number[]>;
  anyTypeResets: number[];
  computations: CompiledComputation[];
  /** In dependency order: a cohort comes after every cohort it refers to. */
  cohorts: CompiledCohort[];
  /** Position in `cohorts` by id. */
  cohortIndex: ReadonlyMap<string, number>;
  computationsByStream: number[][];
  cohortsByStream: number[][];
  cohortsByComputation: number[][];
  cohortsByCohort: number[][];
  cohortsOnUserProperties: number[];
}

export class DefinitionError extends Error {
  constructor(
    message: string,
    readonly definitionId: string,
  ) {
    super(message);
  }
}

const VALUE_AGGREGATES = new Set<Aggregate>(["sum", "avg", "min", "max", "first", "last", "most_frequent", "distinct_count", "distinct_values"]);
const FREQ_AGGREGATES = new Set<Aggregate>(["most_frequent", "distinct_count", "distinct_values"]);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Compiles what can be compiled: a definition that refers to one that is missing (or was
 * skipped as unparsable) is left out with its reason, and the rest still compiles — one
 * bad row must never stop a project's ingestion. `usable` is the set that compiled: a new
 * definition is checked strictly (compileDefinitions) against it, so only rows older than
 * the running code (or edited by hand) are ever skipped.
 */
export function compileLeniently(set: DefinitionSet): { compiled: CompiledSegments; usable: DefinitionSet; skipped: SkippedDefinition[] } {
  const skipped = [...(set.skipped ?? [])];
  let current = set;
  for (;;) {
    try {
      return { compiled: compileDefinitions(current), usable: current, skipped };
    } catch (err) {
      if (!(err instanceof DefinitionError)) throw err;
      skipped.push({ id: err.definitionId, reason: err.message });
      const keep = <T extends { id: string }>(list: T[] | undefined) => list?.filter((d) => d.id !== err.definitionId);
      const next: DefinitionSet = {
        ...current,
        computations: keep(current.computations)!,
        cohorts: keep(current.cohorts)!,
        predictions: keep(current.predictions),
        recommendations: keep(current.recommendations),
      };
      // Every pass removes one definition, so this ends; a definition that cannot be removed is a bug.
      if (
        next.computations.length + next.cohorts.length + (next.predictions?.length ?? 0) + (next.recommendations?.length ?? 0) ===
        current.computations.length + current.cohorts.length + (current.predictions?.length ?? 0) + (current.recommendations?.length ?? 0)
      )
        throw err;
      current = next;
    }
  }
}

/**
 * Compiles a project's definitions once per version: shares streams between
 * definitions, indexes them by event type, orders cohorts by their dependencies and
 * rejects unknown references and cycles.
 */
export function compileDefinitions(set: DefinitionSet): CompiledSegments {
  const streams: StreamSpec[] = [];
  const streamIndex = new Map<string, number>();
  const stream = (event: EventSpec, window: Window, property: string | undefined, freq: boolean, entries: boolean): number => {
    const key = canonical({ event, window, property, freq, entries });
    let i = streamIndex.get(key);
    if (i === undefined) {
      i = streams.length;
      const spec: StreamSpec = { key, event, window, freq, entries };
      if (property !== undefined) spec.property = property;
      streams.push(spec);
      streamIndex.set(key, i);
    }
    return i;
  };

  const computationIndex = new Map<string, number>();
  const computations: CompiledComputation[] = [];
  const addComputation = (id: string, c: Computation): number => {
    const property = VALUE_AGGREGATES.has(c.aggregate) ? c.property : undefined;
    computations.push({ id, stream: stream(c.event, c.window, property, FREQ_AGGREGATES.has(c.aggregate), false), aggregate: c.aggregate, cap: c.cap });
    computationIndex.set(id, computations.length - 1);
    return computations.length - 1;
  };
  for (const { id, definition } of set.computations) addComputation(id, definition);
  const predictions: CompiledPrediction[] = [];
  for (const p of set.predictions ?? []) {
    if (p.model === null) continue;
    const features = p.model.spec.features.map((f, i) => addComputation(`${HIDDEN_PREFIX}p:${p.id}:${i}`, f.computation));
    const population = p.definition.population?.cohort;
    if (population !== undefined && !set.cohorts.some((c) => c.id === population)) {
      throw new DefinitionError(`prediction ${p.id} refers to unknown cohort ${population}`, p.id);
    }
    predictions.push({
      id: p.id,
      model: p.model,
      features,
      goal: p.definition.goal.event,
      horizonDays: p.definition.horizon_days,
      ...(population === undefined ? {} : { population }),
    });
  }

  const recommendations = (set.recommendations ?? []).map((r): CompiledRecommendation => {
    const items = (event: EventSpec, what: string) =>
      addComputation(`${HIDDEN_PREFIX}r:${r.id}:${what}`, {
        event,
        aggregate: "distinct_count",
        property: r.definition.item.property,
        window: { kind: "all" },
        cap: 1,
      });
    const interacted = items(r.definition.item.event, "items");
    return { ...r, interacted, converted: items(goalEvent(r.definition), "goal") };
  });

  const cohortIds = new Map(set.cohorts.map((c, i) => [c.id, i]));
  const compiledById = new Map<string, CompiledCohort>();
  for (const { id, definition } of set.cohorts) {
    const refs = { streams: new Set<number>(), computations: new Set<number>(), cohorts: new Set<number>(), userProperties: false };
    const compile = (e: Expr): CompiledExpr => {
      if ("all" in e) return { all: e.all.map(compile) };
      if ("any" in e) return { any: e.any.map(compile) };
      if ("not" in e) return { not: compile(e.not) };
      if ("performed" in e) {
        const p = e.performed;
        const [measure, property] =
          p.measure === "count"
            ? (["count", undefined] as const)
            : "sum" in p.measure
              ? (["sum", p.measure.sum] as const)
              : (["distinct", p.measure.distinct] as const);
        const s = stream(p.event, p.window, property, measure === "distinct", false);
        refs.streams.add(s);
        return { performed: { stream: s, measure, op: p.op, value: p.value } };
      }
      if ("user_property" in e) {
        refs.userProperties = true;
        return { user_property: e.user_property };
      }
      if ("prediction" in e) {
        if (!(set.predictions ?? []).some((p) => p.id === e.prediction.id)) {
          throw new DefinitionError(`cohort ${id} refers to unknown prediction ${e.prediction.id}`, id);
        }
        // Scores reach the engine as pseudo user properties, so these are property clauses.
        refs.userProperties = true;
        const { id: pid, on, op, value } = e.prediction;
        return { user_property: { property: scoreProperty(pid, on), op, value } };
      }
      if ("computation" in e) {
        const index = computationIndex.get(e.computation.id);
        if (index === undefined) throw new DefinitionError(`cohort ${id} refers to unknown computation ${e.computation.id}`, id);
        refs.computations.add(index);
        return { computation: { index, op: e.computation.op, value: e.computation.value } };
      }
      if ("cohort" in e) {
        const index = cohortIds.get(e.cohort.id);
        if (index === undefined) throw new DefinitionError(`cohort ${id} refers to unknown cohort ${e.cohort.id}`, id);
        refs.cohorts.add(index);
        return { cohort: { index } };
      }
      const { steps, within, window } = e.sequence;
      const first = stream(steps[0], window, undefined, false, true);
      const then = stream(steps[1], window, undefined, false, true);
      refs.streams.add(first).add(then);
      return { sequence: { first, then, within } };
    };
    const expr = definition.type === "behavioral" ? compile(definition.match) : null;
    compiledById.set(id, {
      id,
      static: definition.type === "static",
      expr,
      streams: [...refs.streams],
      computations: [...refs.computations],
      cohorts: [...refs.cohorts],
      userProperties: refs.userProperties,
    });
  }

  const cohorts = topologicalOrder(set.cohorts.map((c) => compiledById.get(c.id)!));
  // Cohort references were indices into the stored order; re-point them at the sorted order.
  const sortedIndex = new Map(cohorts.map((c, i) => [c.id, i]));
  const remap = (e: CompiledExpr): CompiledExpr => {
    if ("all" in e) return { all: e.all.map(remap) };
    if ("any" in e) return { any: e.any.map(remap) };
    if ("not" in e) return { not: remap(e.not) };
    if ("cohort" in e) return { cohort: { index: sortedIndex.get(set.cohorts[e.cohort.index]!.id)! } };
    return e;
  };
  for (const c of cohorts) {
    if (c.expr !== null) c.expr = remap(c.expr);
    c.cohorts = c.cohorts.map((i) => sortedIndex.get(set.cohorts[i]!.id)!);
  }

  const byType = new Map<string, number[]>();
  const resets = new Map<string, number[]>();
  const anyTypeStreams: number[] = [];
  const anyTypeResets: number[] = [];
  streams.forEach((s, i) => {
    if (s.event.type === "*") anyTypeStreams.push(i);
    else push(byType, s.event.type, i);
    if (s.window.kind === "since_last") {
      if (s.window.event.type === "*") anyTypeResets.push(i);
      else push(resets, s.window.event.type, i);
    }
  });

  const computationsByStream = streams.map(() => [] as number[]);
  for (const [i, c] of computations.entries()) computationsByStream[c.stream]!.push(i);
  const cohortsByStream = streams.map(() => [] as number[]);
  const cohortsByComputation = computations.map(() => [] as number[]);
  const cohortsByCohort = cohorts.map(() => [] as number[]);
  const cohortsOnUserProperties: number[] = [];
  cohorts.forEach((c, i) => {
    for (const s of c.streams) cohortsByStream[s]!.push(i);
    for (const k of c.computations) cohortsByComputation[k]!.push(i);
    for (const d of c.cohorts) cohortsByCohort[d]!.push(i);
    if (c.userProperties) cohortsOnUserProperties.push(i);
  });

  return {
    version: set.version,
    predictions,
    recommendations,
    streams,
    streamsByType: byType,
    anyTypeStreams,
    resetsByType: resets,
    anyTypeResets,
    computations,
    cohorts,
    cohortIndex: sortedIndex,
    computationsByStream,
    cohortsByStream,
    cohortsByComputation,
    cohortsByCohort,
    cohortsOnUserProperties,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Orders cohorts so each follows the cohorts it refers to; a cycle is a definition error. */
function topologicalOrder(cohorts: CompiledCohort[]): CompiledCohort[] {
  const out: CompiledCohort[] = [];
  const state = new Map<number, "visiting" | "done">();
  const visit = (i: number, path: string[]) => {
    const mark = state.get(i);
    if (mark === "done") return;
    const c = cohorts[i]!;
    if (mark === "visiting") throw new DefinitionError(`cohort reference cycle: ${[...path, c.id].join(" → ")}`, c.id);
    state.set(i, "visiting");
    for (const d of c.cohorts) visit(d, [...path, c.id]);
    state.set(i, "done");
    out.push(c);
  };
  for (let i = 0; i < cohorts.length; i++) visit(i, []);
  return out;
}
