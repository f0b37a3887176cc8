import type { TailorEvent } from "../core/event";
import { featureVector, type FeatureSpec } from "../core/features";
import { compileDefinitions, type CompiledSegments } from "../core/segments/compile";
import { matchesSpec } from "../core/segments/conditions";
import { emptySnapshot, SegmentEngine } from "../core/segments/engine";
import type { EventSpec } from "../core/segments/schema";

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

export function featureDefinitions(spec: FeatureSpec): CompiledSegments {
  return compileDefinitions({
    version: `features-${spec.version}`,
    computations: spec.features.map((f, i) => ({ id: `f${i}`, definition: f.computation })),
    cohorts: [],
  });
}

/** Values of every feature computation at `now`, in spec order. */
export function featureValues(engine: SegmentEngine, now: number): number[] {
  return engine.compiled.computations.map((_, i) => engine.value(i, now) as number);
}

export class SnapshotBuilder {
  readonly #compiled: CompiledSegments;
  readonly #engines = new Map<string, SegmentEngine>();
  readonly #deviceOwner = new Map<string, string>();
  readonly #pending: { cutoff: number; rows: Map<string, Snapshot> }[] = [];
  readonly #cutoffs: number[];
  readonly snapshots: Snapshot[] = [];

  constructor(
    readonly spec: FeatureSpec,
    readonly goal: EventSpec,
    readonly horizonMs: number,
    cutoffs: readonly number[],
  ) {
    this.#compiled = featureDefinitions(spec);
    this.#cutoffs = [...cutoffs].sort((a, b) => a - b);
  }

  /** Feeds events (time-ordered within the batch, batches in time order). */
  add(events: readonly TailorEvent[]): void {
    for (const e of events) {
      while (this.#cutoffs.length > 0 && e.time > this.#cutoffs[0]!) this.#snapshot(this.#cutoffs.shift()!);
      // Devices seen with a user belong to that user (the profile's merge rule).
      if (e.user_id !== undefined && e.device_id !== undefined && !this.#deviceOwner.has(e.device_id)) this.#deviceOwner.set(e.device_id, e.user_id);
      const owner = e.user_id ?? (e.device_id !== undefined ? (this.#deviceOwner.get(e.device_id) ?? `device:${e.device_id}`) : undefined);
      if (owner === undefined) continue;
      this.#label(owner, e);
      let engine = this.#engines.get(owner);
      if (engine === undefined) {
        engine = new SegmentEngine(this.#compiled, emptySnapshot());
        this.#engines.set(owner, engine);
      }
      engine.ingest([e], e.time, {}, false);
    }
  }

  /** Closes the stream: remaining cutoffs are snapshotted, open labels stay as they are. */
  finish(): Snapshot[] {
    for (const t of this.#cutoffs.splice(0)) this.#snapshot(t);
    for (const p of this.#pending.splice(0)) this.snapshots.push(...p.rows.values());
    return this.snapshots;
  }

  #snapshot(cutoff: number): void {
    const rows = new Map<string, Snapshot>();
    for (const [userId, engine] of this.#engines) {
      engine.tick(cutoff, {});
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
    while (this.#pending.length > 0 && e.time > this.#pending[0]!.cutoff + this.horizonMs) this.snapshots.push(...this.#pending.shift()!.rows.values());
  }
}
