import type { TailorEvent } from "../core/event";
import { featureVector, type FeatureSpec } from "../core/features";
import { compileDefinitions, type CompiledSegments, type DefinitionSet } from "../core/segments/compile";
import type { JsonObject } from "../core/json";
import { applyUserProperties } from "../core/user-properties";
import { matchesSpec } from "../core/segments/conditions";
import { emptySnapshot, SegmentEngine } from "../core/segments/engine";
import type { EventSpec } from "../core/segments/schema";
import { MAX_ENTRIES } from "../core/segments/stream";

/**
 * Labelled snapshots from a time-ordered event stream: at each cutoff T, every user's
 * features as of T — computed by replaying the same segmentation engine the profile
 * runs — and label = the goal happened in (T, T + horizon]. Memory is one engine per
 * user (bounded by users × features), not the event history.
 */
export interface Snapshot {
  userId: string;
  cutoff: number;
  x: number[];
  label: 0 | 1;
}

const FEATURE_ID = "__feature:";

/**
 * The features as computations, compiled with the project's own definitions when a
 * population cohort must be evaluated too (the same compiler the profile uses).
 */
export function featureDefinitions(spec: FeatureSpec, project?: DefinitionSet): CompiledSegments {
  return compileDefinitions({
    version: `features-${spec.version}`,
    computations: [...(project?.computations ?? []), ...spec.features.map((f, i) => ({ id: `${FEATURE_ID}${i}`, definition: f.computation }))],
    cohorts: project?.cohorts ?? [],
    predictions: project?.predictions ?? [],
  });
}

/** Values of every feature computation at `now`, in spec order. */
export function featureValues(engine: SegmentEngine, now: number): number[] {
  const out: number[] = [];
  engine.compiled.computations.forEach((c, i) => {
    if (c.id.startsWith(FEATURE_ID)) out.push(engine.value(i, now) as number);
  });
  return out;
}

export class SnapshotBuilder {
  readonly #compiled: CompiledSegments;
  readonly #engines = new Map<string, SegmentEngine>();
  readonly #props = new Map<string, JsonObject>();
  readonly #deviceOwner = new Map<string, string>();
  /** An anonymous device's events, until a user is seen with it and takes its history over. */
  readonly #anonymous = new Map<string, TailorEvent[]>();
  readonly #pending: { cutoff: number; rows: Map<string, Snapshot> }[] = [];
  readonly #cutoffs: number[];
  readonly snapshots: Snapshot[] = [];

  /**
   * @param population when set, only members of this cohort at a cutoff become rows
   *   (evaluated with the project's definitions, as the profile evaluates it).
   */
  constructor(
    readonly spec: FeatureSpec,
    readonly goal: EventSpec,
    readonly horizonMs: number,
    cutoffs: readonly number[],
    readonly population?: { cohortId: string; definitions: DefinitionSet },
  ) {
    this.#compiled = featureDefinitions(spec, population?.definitions);
    this.#cutoffs = [...cutoffs].sort((a, b) => a - b);
  }

  /** Feeds events (time-ordered within the batch, batches in time order). */
  add(events: readonly TailorEvent[]): void {
    for (const e of events) {
      while (this.#cutoffs.length > 0 && e.time > this.#cutoffs[0]!) this.#snapshot(this.#cutoffs.shift()!);
      // Devices seen with a user belong to that user, and so does their history (the profile's merge rule).
      if (e.user_id !== undefined && e.device_id !== undefined && !this.#deviceOwner.has(e.device_id)) {
        this.#deviceOwner.set(e.device_id, e.user_id);
        this.#adopt(e.device_id, e.user_id, e.time);
      }
      const owner = e.user_id ?? (e.device_id !== undefined ? (this.#deviceOwner.get(e.device_id) ?? `device:${e.device_id}`) : undefined);
      if (owner === undefined) continue;
      if (e.user_id === undefined && e.device_id !== undefined && owner === `device:${e.device_id}`) {
        const kept = this.#anonymous.get(e.device_id) ?? [];
        if (kept.length < MAX_ENTRIES) kept.push(e);
        this.#anonymous.set(e.device_id, kept);
      }
      this.#label(owner, e);
      const engine = this.#engineOf(owner, e.time);
      let props = this.#props.get(owner) ?? {};
      const changed = Object.keys(e.user_properties).length > 0;
      if (changed) {
        props = applyUserProperties(props, e.user_properties);
        this.#props.set(owner, props);
      }
      engine.ingest([e], e.time, props, changed);
    }
  }

  #engineOf(owner: string, time: number): SegmentEngine {
    let engine = this.#engines.get(owner);
    if (engine === undefined) {
      engine = new SegmentEngine(this.#compiled, emptySnapshot());
      engine.evaluateAll(time, {});
      this.#engines.set(owner, engine);
    }
    return engine;
  }

  /**
   * A device just seen with a user for the first time: its events join the user's and its
   * properties fill in what the user lacks, as the user's profile imports them; the
   * device is no longer a profile of its own.
   */
  #adopt(deviceId: string, userId: string, now: number): void {
    const events = this.#anonymous.get(deviceId);
    this.#anonymous.delete(deviceId);
    const device = `device:${deviceId}`;
    this.#engines.delete(device);
    const deviceProps = this.#props.get(device);
    this.#props.delete(device);
    if (events === undefined) return;
    const props = { ...(deviceProps ?? {}), ...(this.#props.get(userId) ?? {}) };
    this.#props.set(userId, props);
    this.#engineOf(userId, now).ingest(events, now, props, true);
  }

  /** Closes the stream: remaining cutoffs are snapshotted, open labels stay as they are. */
  finish(): Snapshot[] {
    for (const t of this.#cutoffs.splice(0)) this.#snapshot(t);
    for (const p of this.#pending.splice(0)) for (const row of p.rows.values()) this.snapshots.push(row);
    return this.snapshots;
  }

  #snapshot(cutoff: number): void {
    const rows = new Map<string, Snapshot>();
    for (const [userId, engine] of this.#engines) {
      engine.tick(cutoff, this.#props.get(userId) ?? {});
      if (this.population !== undefined && !engine.member(this.population.cohortId)) continue;
      rows.set(userId, { userId, cutoff, x: featureVector(this.spec, featureValues(engine, cutoff), cutoff), label: 0 });
    }
    this.#pending.push({ cutoff, rows });
  }

  #label(owner: string, e: TailorEvent): void {
    if (!matchesSpec(e, this.goal)) return;
    for (const p of this.#pending) {
      if (e.time > p.cutoff && e.time <= p.cutoff + this.horizonMs) {
        const row = p.rows.get(owner);
        if (row !== undefined) row.label = 1;
      }
    }
    // Windows that have closed can be released.
    // Row by row: spreading one row per user into push() overflows the call stack past ~100,000 users.
    while (this.#pending.length > 0 && e.time > this.#pending[0]!.cutoff + this.horizonMs)
      for (const row of this.#pending.shift()!.rows.values()) this.snapshots.push(row);
  }
}
