import type { TailorEvent } from "../event";
import type { Json, JsonObject } from "../json";
import { lastSeen, readAggregate } from "./aggregate";
import type { CompiledExpr, CompiledSegments } from "./compile";
import { compare, eventProperty, matchesSpec, testCondition } from "./conditions";
import { addEntry, emptyState, expire, nextExpiry, resetAt, type StreamState } from "./stream";

/** A profile's segmentation state: what the Durable Object persists between events. */
export interface SegmentSnapshot {
  /** Stream states by stream key (shared by every definition reading the stream). */
  streams: Record<string, StreamState>;
  /** Computed property values by id (time_since_last keeps its last-seen time here). */
  values: Record<string, Json>;
  /** Behavioral cohort flags by id. */
  flags: Record<string, { member: boolean; since: number }>;
  /** Static cohorts this profile was uploaded into. */
  staticMembers: Record<string, boolean>;
}

export interface MembershipChange {
  cohortId: string;
  member: boolean;
  at: number;
}

export interface SegmentChanges {
  /** Stream keys whose state changed (to persist). */
  streams: string[];
  /** Computation ids whose value changed. */
  computations: string[];
  memberships: MembershipChange[];
}

export function emptySnapshot(): SegmentSnapshot {
  return { streams: {}, values: {}, flags: {}, staticMembers: {} };
}

/**
 * The incremental segmentation engine of one profile. Each event touches only the
 * streams of its type; only definitions reading a changed stream (or a changed
 * computation, cohort or user property) are re-evaluated, cohorts in dependency order.
 */
export class SegmentEngine {
  readonly #states: StreamState[];
  readonly #timeCohorts: number[];

  constructor(
    readonly compiled: CompiledSegments,
    readonly snapshot: SegmentSnapshot,
  ) {
    this.#states = compiled.streams.map((s) => (snapshot.streams[s.key] ??= emptyState(s)));
    this.#timeCohorts = compiled.cohorts.flatMap((c, i) => (c.computations.some((k) => compiled.computations[k]!.aggregate === "time_since_last") ? [i] : []));
  }

  /** Applies events (in arrival order) at `now`; `propsChanged` when user properties moved. */
  ingest(events: readonly TailorEvent[], now: number, props: JsonObject, propsChanged: boolean): SegmentChanges {
    const { compiled } = this;
    const dirty = new Set<number>();
    for (const event of events) {
      for (const list of [compiled.resetsByType.get(event.event_type), compiled.anyTypeResets]) {
        for (const i of list ?? []) {
          const w = compiled.streams[i]!.window;
          if (w.kind === "since_last" && matchesSpec(event, w.event) && resetAt(this.#states[i]!, event.time)) dirty.add(i);
        }
      }
      for (const list of [compiled.streamsByType.get(event.event_type), compiled.anyTypeStreams]) {
        for (const i of list ?? []) {
          const spec = compiled.streams[i]!;
          if (!matchesSpec(event, spec.event)) continue;
          const value = spec.property === undefined ? null : (eventProperty(event, spec.property) ?? null);
          if (addEntry(spec, this.#states[i]!, event.time, value, now)) dirty.add(i);
        }
      }
    }
    return this.#settle(dirty, now, props, propsChanged ? compiled.cohortsOnUserProperties : []);
  }

  /**
   * Feeds stored events into some streams only (new ones after a definition change),
   * without evaluating; follow with evaluateAll.
   */
  replay(events: readonly TailorEvent[], now: number, only: ReadonlySet<number>): void {
    const { compiled } = this;
    for (const event of events) {
      compiled.streams.forEach((spec, i) => {
        if (!only.has(i)) return;
        const state = this.#states[i]!;
        if (spec.window.kind === "since_last" && matchesSpec(event, spec.window.event)) resetAt(state, event.time);
        if (matchesSpec(event, spec.event)) {
          addEntry(spec, state, event.time, spec.property === undefined ? null : (eventProperty(event, spec.property) ?? null), now);
        }
      });
    }
  }

  /** Time has passed: expires rolling windows and re-evaluates what they and the clock affect. */
  tick(now: number, props: JsonObject): SegmentChanges {
    return this.#settle(new Set(), now, props, this.#timeCohorts);
  }

  /** Re-evaluates every definition (after a definition change or a rebuild). */
  evaluateAll(now: number, props: JsonObject): SegmentChanges {
    return this.#settle(
      new Set(this.#states.keys()),
      now,
      props,
      this.compiled.cohorts.map((_, i) => i),
    );
  }

  /** Sets a static cohort's membership (from an upload) and re-evaluates its dependents. */
  setStatic(cohortId: string, member: boolean, now: number, props: JsonObject): SegmentChanges {
    const index = this.compiled.cohortIndex.get(cohortId);
    const unchanged: SegmentChanges = { streams: [], computations: [], memberships: [] };
    if (index === undefined || !this.compiled.cohorts[index]!.static || this.#isMember(index) === member) return unchanged;
    if (member) this.snapshot.staticMembers[cohortId] = true;
    else delete this.snapshot.staticMembers[cohortId];
    const changes = this.#settle(new Set(), now, props, this.compiled.cohortsByCohort[index]!);
    changes.memberships.unshift({ cohortId, member, at: now });
    return changes;
  }

  member(cohortId: string): boolean {
    const index = this.compiled.cohortIndex.get(cohortId);
    return index === undefined ? false : this.#isMember(index);
  }

  /** Membership of the cohort at this position of `compiled.cohorts`. */
  memberAt(index: number): boolean {
    return this.#isMember(index);
  }

  /** A computed property's current value (time_since_last is measured at `now`). */
  value(index: number, now: number): Json {
    const c = this.compiled.computations[index]!;
    return readAggregate(this.#states[c.stream]!, c.aggregate, c.cap, now);
  }

  /** The values a value → count computation has seen, with their counts (item histories). */
  frequencies(index: number): [Json, number][] {
    const c = this.compiled.computations[index]!;
    return Object.values(this.#states[c.stream]!.freq ?? {});
  }

  /** The earliest instant at which time alone can change a value or a flag, or null. */
  nextChangeAt(now: number): number | null {
    let next = Infinity;
    this.compiled.streams.forEach((spec, i) => {
      const t = nextExpiry(spec, this.#states[i]!);
      if (t !== null && t < next) next = t;
    });
    for (const ci of this.#timeCohorts) {
      const walk = (e: CompiledExpr): void => {
        if ("all" in e) e.all.forEach(walk);
        else if ("any" in e) e.any.forEach(walk);
        else if ("not" in e) walk(e.not);
        else if ("computation" in e) {
          const comp = this.compiled.computations[e.computation.index]!;
          const threshold = typeof e.computation.value === "number" ? e.computation.value : undefined;
          const last = comp.aggregate === "time_since_last" ? lastSeen(this.#states[comp.stream]!) : null;
          if (last === null || threshold === undefined) return;
          // now − last crosses the threshold at last + threshold (strict ops one ms later).
          const op = e.computation.op;
          const at = last + threshold + (op === "gt" || op === "lte" ? 1 : 0);
          if (at > now && at < next) next = at;
        }
      };
      const expr = this.compiled.cohorts[ci]!.expr;
      if (expr !== null) walk(expr);
    }
    return next === Infinity ? null : next;
  }

  #settle(dirty: Set<number>, now: number, props: JsonObject, extraCohorts: readonly number[]): SegmentChanges {
    const { compiled, snapshot } = this;
    compiled.streams.forEach((spec, i) => {
      if (expire(spec, this.#states[i]!, now)) dirty.add(i);
    });

    const changedComputations: string[] = [];
    const evaluate = new Uint8Array(compiled.cohorts.length);
    for (const i of extraCohorts) evaluate[i] = 1;
    for (const s of dirty) {
      for (const k of compiled.computationsByStream[s]!) {
        const c = compiled.computations[k]!;
        const state = this.#states[c.stream]!;
        const value = c.aggregate === "time_since_last" ? lastSeen(state) : readAggregate(state, c.aggregate, c.cap, now);
        if (!sameJson(snapshot.values[c.id], value)) {
          snapshot.values[c.id] = value;
          changedComputations.push(c.id);
          for (const i of compiled.cohortsByComputation[k]!) evaluate[i] = 1;
        }
      }
      for (const i of compiled.cohortsByStream[s]!) evaluate[i] = 1;
    }

    const memberships: MembershipChange[] = [];
    compiled.cohorts.forEach((cohort, i) => {
      if (evaluate[i] === 0) return;
      const before = this.#isMember(i);
      const after = cohort.static ? snapshot.staticMembers[cohort.id] === true : this.#eval(cohort.expr!, now, props);
      if (!cohort.static) {
        if (after) snapshot.flags[cohort.id] = { member: true, since: before ? (snapshot.flags[cohort.id]?.since ?? now) : now };
        else delete snapshot.flags[cohort.id];
      }
      if (before !== after) {
        memberships.push({ cohortId: cohort.id, member: after, at: now });
        for (const d of compiled.cohortsByCohort[i]!) evaluate[d] = 1;
      }
    });
    return { streams: [...dirty].map((i) => compiled.streams[i]!.key), computations: changedComputations, memberships };
  }

  #isMember(index: number): boolean {
    const c = this.compiled.cohorts[index]!;
    return c.static ? this.snapshot.staticMembers[c.id] === true : this.snapshot.flags[c.id]?.member === true;
  }

  #eval(e: CompiledExpr, now: number, props: JsonObject): boolean {
    if ("all" in e) return e.all.every((x) => this.#eval(x, now, props));
    if ("any" in e) return e.any.some((x) => this.#eval(x, now, props));
    if ("not" in e) return !this.#eval(e.not, now, props);
    if ("performed" in e) {
      const { stream, measure, op, value } = e.performed;
      const s = this.#states[stream]!;
      const actual = measure === "count" ? s.count : measure === "sum" ? s.sum : Object.keys(s.freq ?? {}).length;
      return compare(actual, op, value);
    }
    if ("user_property" in e) return testCondition(props[e.user_property.property], e.user_property.op, e.user_property.value);
    if ("computation" in e) return testCondition(this.value(e.computation.index, now), e.computation.op, e.computation.value);
    if ("cohort" in e) return this.#isMember(e.cohort.index);
    const { first, then, within } = e.sequence;
    return sequenceMatched(this.#states[first]!.ts ?? [], this.#states[then]!.ts ?? [], within);
  }
}

/** Is there a first-step time a and a later step time b with a < b ≤ a + within? (both sorted) */
export function sequenceMatched(firsts: readonly number[], thens: readonly number[], within: number): boolean {
  let j = 0;
  let latest = -Infinity;
  for (const b of thens) {
    while (j < firsts.length && firsts[j]! < b) latest = firsts[j++]!;
    if (b - latest <= within) return true;
  }
  return false;
}

function sameJson(a: Json | undefined, b: Json): boolean {
  if (a === b) return true;
  if (a === undefined || typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
