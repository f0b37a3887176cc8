import type { TailorEvent } from "../event";
import type { Json, JsonObject } from "../json";
import { compare, eventProperty, matchesSpec, testCondition, asNumber } from "./conditions";
import type { Aggregate, CohortDefinition, Computation, EventSpec, Expr, Window } from "./schema";

/**
 * The definitions evaluated from scratch over a profile's whole event list: the
 * semantics the incremental engine must reproduce, and the "rescan" baseline the
 * cohort benchmark compares it with. Deliberately plain: no shared state, no indexes.
 */
export interface ReferenceResult {
  values: Record<string, Json>;
  members: Record<string, boolean>;
}

function windowed(events: readonly TailorEvent[], spec: EventSpec, window: Window, now: number): TailorEvent[] {
  let lastRef: number | undefined;
  if (window.kind === "since_last") {
    for (const e of events) if (matchesSpec(e, window.event)) lastRef = Math.max(lastRef ?? -Infinity, e.time);
  }
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch is exhaustive (tsc checks it)
  return events.filter((e) => {
    if (!matchesSpec(e, spec)) return false;
    switch (window.kind) {
      case "all":
        return true;
      case "rolling":
        return e.time > now - window.duration;
      case "since":
        return e.time >= window.from;
      case "between":
        return e.time >= window.from && e.time <= window.to;
      case "since_last":
        return lastRef === undefined || e.time > lastRef;
    }
  });
}

function key(v: Json): string {
  return typeof v === "string" ? `s${v}` : `j${JSON.stringify(v)}`;
}

function frequencies(values: Json[]): [string, Json, number][] {
  const m = new Map<string, [Json, number]>();
  for (const v of values) {
    const k = key(v);
    m.set(k, [v, (m.get(k)?.[1] ?? 0) + 1]);
  }
  return [...m].map(([k, [v, n]]) => [k, v, n] as [string, Json, number]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function referenceAggregate(matched: TailorEvent[], aggregate: Aggregate, property: string | undefined, cap: number, now: number): Json {
  const withValues = matched
    .map((e, arrival) => ({ t: e.time, arrival, v: property === undefined ? null : (eventProperty(e, property) ?? null) }))
    .filter((x) => x.v !== null);
  const values = withValues.map((x) => x.v as Json);
  const numbers = values.map((v) => asNumber(v)).filter((n): n is number => n !== undefined);
  const byTime = [...withValues].sort((a, b) => a.t - b.t || a.arrival - b.arrival);
  const times = matched.map((e) => e.time);
  switch (aggregate) {
    case "count":
      return matched.length;
    case "sum":
      return numbers.reduce((a, b) => a + b, 0);
    case "avg":
      return numbers.length === 0 ? null : numbers.reduce((a, b) => a + b, 0) / numbers.length;
    case "min":
      return numbers.length === 0 ? null : Math.min(...numbers);
    case "max":
      return numbers.length === 0 ? null : Math.max(...numbers);
    case "first":
      return byTime[0]?.v ?? null;
    case "last":
      return byTime[byTime.length - 1]?.v ?? null;
    case "most_frequent": {
      let best: [string, Json, number] | undefined;
      for (const f of frequencies(values)) if (best === undefined || f[2] > best[2]) best = f;
      return best?.[1] ?? null;
    }
    case "distinct_count":
      return frequencies(values).length;
    case "distinct_values":
      return frequencies(values)
        .slice(0, cap)
        .map((f) => f[1]);
    case "first_seen":
      return times.length === 0 ? null : Math.min(...times);
    case "last_seen":
      return times.length === 0 ? null : Math.max(...times);
    case "time_since_last":
      return times.length === 0 ? null : Math.max(0, now - Math.max(...times));
  }
}

export function evaluateReference(
  definitions: { computations: { id: string; definition: Computation }[]; cohorts: { id: string; definition: CohortDefinition }[] },
  events: readonly TailorEvent[],
  props: JsonObject,
  now: number,
  staticMembers: Record<string, boolean> = {},
): ReferenceResult {
  const values: Record<string, Json> = {};
  for (const { id, definition: c } of definitions.computations) {
    values[id] = referenceAggregate(windowed(events, c.event, c.window, now), c.aggregate, c.property, c.cap, now);
  }
  const members: Record<string, boolean> = {};
  const byId = new Map(definitions.cohorts.map((c) => [c.id, c.definition]));
  const member = (id: string, seen: Set<string>): boolean => {
    if (id in members) return members[id]!;
    const def = byId.get(id)!;
    if (seen.has(id)) throw new Error(`cycle at ${id}`);
    const result = def.type === "static" ? staticMembers[id] === true : evalExpr(def.match, new Set([...seen, id]));
    members[id] = result;
    return result;
  };
  const evalExpr = (e: Expr, seen: Set<string>): boolean => {
    if ("all" in e) return e.all.every((x) => evalExpr(x, seen));
    if ("any" in e) return e.any.some((x) => evalExpr(x, seen));
    if ("not" in e) return !evalExpr(e.not, seen);
    if ("performed" in e) {
      const p = e.performed;
      const matched = windowed(events, p.event, p.window, now);
      const actual =
        p.measure === "count"
          ? matched.length
          : "sum" in p.measure
            ? (referenceAggregate(matched, "sum", p.measure.sum, 0, now) as number)
            : (referenceAggregate(matched, "distinct_count", p.measure.distinct, 0, now) as number);
      return compare(actual, p.op, p.value);
    }
    if ("user_property" in e) return testCondition(props[e.user_property.property], e.user_property.op, e.user_property.value);
    if ("computation" in e) return testCondition(values[e.computation.id], e.computation.op, e.computation.value);
    if ("cohort" in e) return member(e.cohort.id, seen);
    if ("prediction" in e) return testCondition(props[`$prediction:${e.prediction.id}:${e.prediction.on}`], e.prediction.op, e.prediction.value);
    const { steps, within, window } = e.sequence;
    const firsts = windowed(events, steps[0], window, now).map((x) => x.time);
    const thens = windowed(events, steps[1], window, now).map((x) => x.time);
    return thens.some((b) => firsts.some((a) => a < b && b <= a + within));
  };
  for (const c of definitions.cohorts) member(c.id, new Set());
  return { values, members };
}
