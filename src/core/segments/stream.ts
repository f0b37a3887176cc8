import type { Json } from "../json";
import { asNumber } from "./conditions";
import type { EventSpec, Window } from "./schema";

/**
 * A stream is the events matching one spec, inside one window, with one property's
 * values: the unit of incremental state shared by every definition that reads it.
 * Windows that change as time passes or on another event (rolling, since_last) — and
 * streams read by sequences — keep their entries; fixed windows keep running totals only.
 */
export interface StreamSpec {
  key: string;
  event: EventSpec;
  window: Window;
  property?: string;
  /** Keep value → count (most frequent, distinct). */
  freq: boolean;
  /** Keep every entry even for fixed windows (sequences need event times). */
  entries: boolean;
}

export interface StreamState {
  count: number;
  sum: number;
  /** How many entries carried a numeric value (the avg denominator). */
  numeric: number;
  /** value key → [value, count]. */
  freq?: Record<string, [Json, number]>;
  /** Entry times and values, sorted by time (ties in arrival order). */
  ts?: number[];
  vs?: Json[];
  // Running extremes for windows without entries.
  min?: number;
  max?: number;
  first?: [number, Json];
  last?: [number, Json];
  firstSeen?: number;
  lastSeen?: number;
  /** since_last: time of the latest reference event. */
  lastRef?: number;
}

/** Entry lists are capped; beyond this the oldest entries are dropped (documented limit). */
export const MAX_ENTRIES = 10_000;

export function keepsEntries(spec: StreamSpec): boolean {
  return spec.entries || spec.window.kind === "rolling" || spec.window.kind === "since_last";
}

export function emptyState(spec: StreamSpec): StreamState {
  const state: StreamState = { count: 0, sum: 0, numeric: 0 };
  if (spec.freq) state.freq = {};
  if (keepsEntries(spec)) {
    state.ts = [];
    state.vs = [];
  }
  return state;
}

export function valueKey(value: Json): string {
  return typeof value === "string" ? `s${value}` : `j${JSON.stringify(value)}`;
}

/** Whether an event at `time` belongs to the window now (fixed windows ignore `now`). */
export function inWindow(spec: StreamSpec, state: StreamState, time: number, now: number): boolean {
  const w = spec.window;
  switch (w.kind) {
    case "all":
      return true;
    case "rolling":
      return time > now - w.duration;
    case "since":
      return time >= w.from;
    case "between":
      return time >= w.from && time <= w.to;
    case "since_last":
      return state.lastRef === undefined || time > state.lastRef;
  }
}

function tally(state: StreamState, value: Json, sign: 1 | -1): void {
  state.count += sign;
  const n = value === null ? undefined : asNumber(value);
  if (n !== undefined) {
    state.sum += sign * n;
    state.numeric += sign;
  }
  if (state.freq !== undefined && value !== null) {
    const k = valueKey(value);
    const cur = state.freq[k];
    const next = (cur?.[1] ?? 0) + sign;
    if (next <= 0) delete state.freq[k];
    else state.freq[k] = [value, next];
  }
  if (state.count === 0) {
    state.sum = 0; // no float residue once a window empties
    state.numeric = 0;
  }
}

/** Adds a matching event (value = its property's value, or null). Returns false if outside the window. */
export function addEntry(spec: StreamSpec, state: StreamState, time: number, value: Json, now: number): boolean {
  if (!inWindow(spec, state, time, now)) return false;
  tally(state, value, 1);
  if (state.ts !== undefined && state.vs !== undefined) {
    let i = state.ts.length;
    while (i > 0 && state.ts[i - 1]! > time) i--;
    state.ts.splice(i, 0, time);
    state.vs.splice(i, 0, value);
    if (state.ts.length > MAX_ENTRIES) removeFront(state, state.ts.length - MAX_ENTRIES);
    return true;
  }
  const n = value === null ? undefined : asNumber(value);
  if (n !== undefined) {
    state.min = state.min === undefined ? n : Math.min(state.min, n);
    state.max = state.max === undefined ? n : Math.max(state.max, n);
  }
  if (value !== null) {
    if (state.first === undefined || time < state.first[0]) state.first = [time, value];
    if (state.last === undefined || time >= state.last[0]) state.last = [time, value];
  }
  state.firstSeen = state.firstSeen === undefined ? time : Math.min(state.firstSeen, time);
  state.lastSeen = state.lastSeen === undefined ? time : Math.max(state.lastSeen, time);
  return true;
}

function removeFront(state: StreamState, n: number): void {
  const ts = state.ts!;
  const vs = state.vs!;
  for (let i = 0; i < n; i++) tally(state, vs[i]!, -1);
  ts.splice(0, n);
  vs.splice(0, n);
}

/** Drops entries that have left a rolling window by `now`. Returns whether anything changed. */
export function expire(spec: StreamSpec, state: StreamState, now: number): boolean {
  if (spec.window.kind !== "rolling" || state.ts === undefined) return false;
  const cutoff = now - spec.window.duration;
  let n = 0;
  while (n < state.ts.length && state.ts[n]! <= cutoff) n++;
  if (n > 0) removeFront(state, n);
  return n > 0;
}

/** since_last: a reference event at `time` empties the window up to it. */
export function resetAt(state: StreamState, time: number): boolean {
  if (state.lastRef !== undefined && time <= state.lastRef) return false;
  state.lastRef = time;
  const ts = state.ts ?? [];
  let n = 0;
  while (n < ts.length && ts[n]! <= time) n++;
  if (n > 0) removeFront(state, n);
  return true;
}

/** When the oldest entry leaves a rolling window (the next instant this stream changes by itself). */
export function nextExpiry(spec: StreamSpec, state: StreamState): number | null {
  if (spec.window.kind !== "rolling" || state.ts === undefined || state.ts.length === 0) return null;
  return state.ts[0]! + spec.window.duration;
}
