import type { TailorEvent } from "../core/event";
import type { JsonObject } from "../core/json";
import type { CompiledSegments } from "../core/segments/compile";
import { type MembershipChange, type SegmentChanges, SegmentEngine, type SegmentSnapshot } from "../core/segments/engine";
import type { StreamSpec, StreamState } from "../core/segments/stream";

/** What the profile state row keeps of segmentation (stream states have their own rows). */
export type SegmentSummary = Omit<SegmentSnapshot, "streams"> & { version: string };

export function emptySummary(): SegmentSummary {
  return { version: "", values: {}, flags: {}, staticMembers: {} };
}

/**
 * The profile's segmentation over its SQLite: loads the engine for the current
 * definitions (rebuilding new streams from stored events when they changed), and
 * persists what each change touched — stream rows, and membership changes into the
 * outbox that the alarm delivers to D1.
 */
export class ProfileSegments {
  #engine: SegmentEngine | undefined;
  #outboxed: boolean | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /**
   * The engine for `compiled`. On a new version: streams whose key is unchanged keep
   * their state, new streams replay the stored events, and everything is re-evaluated
   * against the previous values and flags (so only real flips are reported).
   */
  engine(
    compiled: CompiledSegments,
    summary: SegmentSummary,
    now: number,
    props: () => JsonObject,
    events: () => TailorEvent[],
  ): {
    engine: SegmentEngine;
    changes: SegmentChanges | null;
  } {
    if (this.#engine?.compiled === compiled) return { engine: this.#engine, changes: null };
    const wanted = new Set(compiled.streams.map((s) => s.key));
    const streams: Record<string, StreamState> = {};
    for (const row of this.sql.exec<{ key: string; body: string }>("SELECT key, body FROM segment_streams")) {
      if (wanted.has(row.key)) streams[row.key] = JSON.parse(row.body) as StreamState;
      else this.sql.exec("DELETE FROM segment_streams WHERE key = ?", row.key);
    }
    const ids = new Set([...compiled.computations.map((c) => c.id), ...compiled.cohorts.map((c) => c.id)]);
    const keep = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).filter(([id]) => ids.has(id)));
    const snapshot: SegmentSnapshot = {
      streams,
      values: keep(summary.values),
      flags: keep(summary.flags),
      staticMembers: keep(summary.staticMembers),
    };
    const fresh = new Set(compiled.streams.flatMap((s, i) => (streams[s.key] === undefined ? [i] : [])));
    const engine = new SegmentEngine(compiled, snapshot);
    this.#engine = engine;
    if (summary.version === compiled.version && fresh.size === 0) return { engine, changes: null };
    if (fresh.size > 0) engine.replay(events(), now, fresh);
    const changes = engine.evaluateAll(now, props());
    // Cohorts that no longer exist leave silently (their rows go with the definition).
    return { engine, changes };
  }

  /** The streams a load of the engine for `compiled` would have to build from events (none when it is loaded). */
  freshStreams(compiled: CompiledSegments): StreamSpec[] {
    if (this.#engine?.compiled === compiled) return [];
    const stored = new Set(
      this.sql
        .exec<{ key: string }>("SELECT key FROM segment_streams")
        .toArray()
        .map((r) => r.key),
    );
    return compiled.streams.filter((s) => !stored.has(s.key));
  }

  /** The engine, if it is already loaded for exactly these definitions. */
  loaded(compiled: CompiledSegments): SegmentEngine | undefined {
    return this.#engine?.compiled === compiled ? this.#engine : undefined;
  }

  /** The summary to store in the profile state after a change. */
  summary(engine: SegmentEngine): SegmentSummary {
    const { values, flags, staticMembers } = engine.snapshot;
    return { version: engine.compiled.version, values, flags, staticMembers };
  }

  persist(engine: SegmentEngine, changes: SegmentChanges): void {
    for (const key of changes.streams) {
      this.sql.exec(
        "INSERT INTO segment_streams (key, body) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET body = excluded.body",
        key,
        JSON.stringify(engine.snapshot.streams[key]),
      );
    }
    this.recordMemberships(changes.memberships);
  }

  recordMemberships(changes: readonly MembershipChange[]): void {
    if (changes.length > 0) this.#outboxed = true;
    for (const m of changes) {
      this.sql.exec("INSERT INTO membership_outbox (cohort_id, member, at) VALUES (?, ?, ?)", m.cohortId, m.member ? 1 : 0, m.at);
    }
  }

  outbox(limit: number): { seq: number; cohortId: string; member: boolean; at: number }[] {
    const rows = this.sql
      .exec<{ seq: number; cohort_id: string; member: number; at: number }>(
        "SELECT seq, cohort_id, member, at FROM membership_outbox ORDER BY seq LIMIT ?",
        limit,
      )
      .toArray();
    if (rows.length === 0) this.#outboxed = false;
    return rows.map((r) => ({ seq: r.seq, cohortId: r.cohort_id, member: r.member === 1, at: r.at }));
  }

  clearOutbox(upToSeq: number): void {
    this.sql.exec("DELETE FROM membership_outbox WHERE seq <= ?", upToSeq);
    this.#outboxed = undefined;
  }

  /**
   * Whether changes wait for D1. Mirrored in memory (asked on every write): only a read of
   * the table says "none", so a rolled-back insert costs at most one empty delivery run.
   */
  hasOutbox(): boolean {
    this.#outboxed ??= this.sql.exec("SELECT 1 FROM membership_outbox LIMIT 1").toArray().length > 0;
    return this.#outboxed;
  }

  /** The next instant time alone changes something (null before the engine is loaded). */
  nextChangeAt(now: number): number | null {
    return this.#engine?.nextChangeAt(now) ?? null;
  }

  /** Drops the cached engine (the profile left all cohorts, or state was reset). */
  forget(): void {
    this.#engine = undefined;
    this.#outboxed = undefined;
  }
}
