import type { Json } from "../json";
import { asNumber } from "./conditions";
import type { Aggregate } from "./schema";
import type { StreamState } from "./stream";

/** Values present in the stream, oldest first: entries, or the running first/last. */
function values(state: StreamState): { ts: number[]; vs: Json[] } | undefined {
  return state.ts !== undefined && state.vs !== undefined ? { ts: state.ts, vs: state.vs } : undefined;
}

function extreme(state: StreamState, pick: "min" | "max"): number | null {
  const e = values(state);
  if (e === undefined) return state[pick] ?? null;
  let best: number | null = null;
  for (const v of e.vs) {
    const n = v === null ? undefined : asNumber(v);
    if (n !== undefined && (best === null || (pick === "min" ? n < best : n > best))) best = n;
  }
  return best;
}

function edgeValue(state: StreamState, which: "first" | "last"): Json {
  const e = values(state);
  if (e === undefined) return state[which]?.[1] ?? null;
  if (which === "first") {
    for (const v of e.vs) if (v !== null) return v;
  } else {
    for (let i = e.vs.length - 1; i >= 0; i--) if (e.vs[i] !== null) return e.vs[i]!;
  }
  return null;
}

export function firstSeen(state: StreamState): number | null {
  const e = values(state);
  return e === undefined ? (state.firstSeen ?? null) : (e.ts[0] ?? null);
}

export function lastSeen(state: StreamState): number | null {
  const e = values(state);
  return e === undefined ? (state.lastSeen ?? null) : (e.ts[e.ts.length - 1] ?? null);
}

/** Entries of the freq table in a stable order (by value key). */
function sortedFreq(state: StreamState): [string, [Json, number]][] {
  return Object.entries(state.freq ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A computed property's value from its stream at `now`. Ties are broken by a stable
 * order of values, so the incremental engine and a recomputation always agree.
 */
export function readAggregate(state: StreamState, aggregate: Aggregate, cap: number, now: number): Json {
  switch (aggregate) {
    case "count":
      return state.count;
    case "sum":
      return state.sum;
    case "avg":
      return state.numeric === 0 ? null : state.sum / state.numeric;
    case "min":
    case "max":
      return extreme(state, aggregate);
    case "first":
    case "last":
      return edgeValue(state, aggregate);
    case "most_frequent": {
      let best: [Json, number] | null = null;
      for (const [, entry] of sortedFreq(state)) if (best === null || entry[1] > best[1]) best = entry;
      return best === null ? null : best[0];
    }
    case "distinct_count":
      return Object.keys(state.freq ?? {}).length;
    case "distinct_values":
      return sortedFreq(state)
        .slice(0, cap)
        .map(([, [v]]) => v);
    case "first_seen":
      return firstSeen(state);
    case "last_seen":
      return lastSeen(state);
    case "time_since_last": {
      const last = lastSeen(state);
      return last === null ? null : Math.max(0, now - last);
    }
  }
}
