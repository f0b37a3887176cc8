import type { TailorEvent } from "../core/event";
import { goalEvent } from "../core/recommendations/schema";
import type { CompiledSegments } from "../core/segments/compile";
import type { SegmentEngine } from "../core/segments/engine";
import type { HoldoutExposure } from "../core/holdout";
import type { RecResult } from "../core/recommendations/result";
import {
  exposureWindow,
  GLOBAL_EXPOSURE,
  holdoutExposureWindow,
  recommendationWindow,
  recordEvents,
  resolvesAt,
  resolveWindow,
  type ServedOutcome,
  type ServedWindow,
  type WindowGoal,
} from "../core/served-outcomes";

/** A window as the profile keeps it until D1 has its latest state (`outcome` once resolved). */
export interface PendingWindow {
  window: ServedWindow;
  outcome: ServedOutcome | null;
}

/** Open windows per definition a profile keeps (one per model version it was served by); more wait for one to end. */
const MAX_OPEN_PER_OWNER = 8;

type Row = PendingWindow & { written: boolean };
/** A window per definition and model version; an exposure per recommendation (the first shown answer, whatever the version). */
const keyOf = (w: Pick<ServedWindow, "owner_kind" | "owner_id" | "model_id">) => `${w.owner_id}|${w.owner_kind === "exposure" ? "exposure" : w.model_id}`;

/**
 * A profile's served windows (core/served-outcomes.ts), one per prediction or
 * recommendation and model version — a retrained version is measured on its own
 * answers: `written` once D1 holds the row as it is (opened, or resolved — a resolved
 * row leaves once written).
 */
export class ServedWindows {
  /**
   * True once a read found the table empty (most profiles were never served a measured
   * answer), so every event need not read it; any write makes it unknown again.
   */
  #empty: boolean | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** Read from the table each time (a few rows per definition at most): nothing to keep in step. */
  #all(): Map<string, Row> {
    if (this.#empty === true) return new Map();
    const rows = new Map<string, Row>();
    for (const r of this.sql.exec<{ body: string; written: number }>("SELECT body, written FROM served_windows")) {
      const row = { ...(JSON.parse(r.body) as PendingWindow), written: r.written === 1 };
      rows.set(keyOf(row.window), row);
    }
    this.#empty = rows.size === 0;
    return rows;
  }

  #save(row: Row): void {
    this.#empty = undefined;
    this.sql.exec(
      "INSERT INTO served_windows (window_key, body, written) VALUES (?, ?, ?) ON CONFLICT (window_key) DO UPDATE SET body = excluded.body, written = excluded.written",
      keyOf(row.window),
      JSON.stringify({ window: row.window, outcome: row.outcome }),
      row.written ? 1 : 0,
    );
  }

  /** Opens each window unless its version already has one (open, or resolved and not yet written); answers whether any opened. One read of the table. */
  open(windows: readonly ServedWindow[]): boolean {
    if (windows.length === 0) return false;
    const all = this.#all();
    let opened = false;
    for (const w of windows) {
      if (all.has(keyOf(w))) continue;
      if ([...all.values()].filter((r) => r.window.owner_id === w.owner_id && r.window.owner_kind === w.owner_kind).length >= MAX_OPEN_PER_OWNER) continue;
      const row = { window: w, outcome: null, written: false };
      this.#save(row);
      all.set(keyOf(w), row);
      opened = true;
    }
    return opened;
  }

  /**
   * Records new events in every open window whose goal they reach (`goalOf` undefined:
   * the definition is gone, nothing to record). Answers whether D1 must hear of it now:
   * an exposure's conversions are reported as they happen, the rest when they resolve.
   */
  record(
    events: readonly TailorEvent[],
    goalOf: (w: ServedWindow) => WindowGoal | undefined,
    hadBefore: (w: ServedWindow) => (item: string) => boolean,
  ): boolean {
    if (events.length === 0) return false;
    let converted = false;
    for (const row of this.#all().values()) {
      if (row.outcome !== null) continue;
      const goal = goalOf(row.window);
      if (goal === undefined || !recordEvents(row.window, goal, events, hadBefore(row.window))) continue;
      const exposure = row.window.owner_kind === "exposure";
      converted ||= exposure;
      this.#save({ ...row, written: row.written && !exposure });
    }
    return converted;
  }

  /** Resolves every window whose end (plus grace) has passed. */
  resolveDue(now: number): void {
    for (const row of this.#all().values()) {
      if (row.outcome === null && resolvesAt(row.window) <= now) this.#save({ window: row.window, outcome: resolveWindow(row.window), written: false });
    }
  }

  /** What D1 does not know yet. */
  unwritten(): PendingWindow[] {
    return [...this.#all().values()].filter((r) => !r.written).map(({ window, outcome }) => ({ window, outcome }));
  }

  /** D1 has these: open ones are marked, resolved ones leave (a resolved exposure stays, written, so the user is never exposed again). */
  written(rows: readonly PendingWindow[]): void {
    const current = this.#all();
    for (const { window, outcome } of rows) {
      const row = current.get(keyOf(window));
      // Changed while D1 was written (a conversion arrived): it stays unwritten.
      if (row === undefined || JSON.stringify(row.window) !== JSON.stringify(window) || (row.outcome === null) !== (outcome === null)) continue;
      if (outcome !== null && window.owner_kind !== "exposure") this.sql.exec("DELETE FROM served_windows WHERE window_key = ?", keyOf(window));
      else this.#save({ ...row, written: true });
    }
  }

  /** When this work is next due: now while D1 lags, else the earliest resolution (null: nothing open). */
  nextDueAt(now: number): number | null {
    let next: number | null = null;
    for (const row of this.#all().values()) {
      const at = !row.written ? now : row.outcome === null ? resolvesAt(row.window) : null;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  /** Abandons every window (D1 keeps their open rows, which the report stops counting once they end). */
  drop(): void {
    this.sql.exec("DELETE FROM served_windows");
    this.#empty = undefined;
  }
}

/**
 * Each window's goal under the current definitions, and (for a list that shows only new
 * items) what the profile already had before the events being recorded.
 */
export function servedGoals(compiled: CompiledSegments, engine: SegmentEngine) {
  const goalOf = (w: ServedWindow): WindowGoal | undefined => {
    if (w.goal !== undefined) return w.goal;
    if (w.owner_kind === "prediction") {
      const p = compiled.predictions.find((x) => x.id === w.owner_id);
      return p && { goal: p.goal };
    }
    const r = compiled.recommendations.find((x) => x.id === w.owner_id);
    if (r === undefined) return undefined;
    const { exclude, item, attribution } = r.definition;
    if (w.owner_kind === "exposure")
      return {
        goal: goalEvent(r.definition),
        itemProperty: item.property,
        onListedItems: attribution.on_recommended_item,
        valueProperty: attribution.value_property,
      };
    return { goal: goalEvent(r.definition), itemProperty: item.property, newItemsOnly: exclude.interacted || exclude.converted };
  };
  const hadBefore = (w: ServedWindow) => {
    let had: Set<string> | undefined;
    return (item: string) => {
      if (had === undefined) {
        const r = compiled.recommendations.find((x) => x.id === w.owner_id)!;
        const streams = [...(r.definition.exclude.interacted ? [r.interacted] : []), ...(r.definition.exclude.converted ? [r.converted] : [])];
        had = new Set(streams.flatMap((s) => engine.frequencies(s).map(([v]) => String(v))));
      }
      return had.has(item);
    };
  };
  return { goalOf, hadBefore };
}

/**
 * What a shown read measures: each non-empty list's quality (a served window) and, for
 * lift, its first exposure; and the global control group's exposure when it is measured.
 */
export function shownWindows(compiled: CompiledSegments, shown: readonly RecResult[], global: HoldoutExposure | undefined, now: number): ServedWindow[] {
  const windows = shown.flatMap((r) => {
    const rec = compiled.recommendations.find((x) => x.id === r.rec_id);
    if (rec === undefined || r.items.length === 0) return [];
    const model = rec.model?.id ?? "none";
    return [
      recommendationWindow(rec.id, model, r.items, r.recommendation_source, now),
      exposureWindow(rec.id, model, r.items, r.recommendation_source, r.is_control, rec.definition.attribution.days, now),
    ];
  });
  return global === undefined ? windows : [...windows, holdoutExposureWindow(GLOBAL_EXPOSURE, global, now)];
}
