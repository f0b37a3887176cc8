import type { TailorEvent } from "./event";
import type { HoldoutExposure } from "./holdout";
import type { Json } from "./json";
import { eventProperty, matchesSpec } from "./segments/conditions";
import type { EventSpec } from "./segments/schema";

/**
 * What a profile was served and what it did next: the product's own measure of model
 * quality, through the serving path. When a profile is first given a propensity (or a
 * recommendation list) it opens a window; goal events inside the window are recorded;
 * when the window ends its outcome (reached the goal; which listed items were taken) is
 * resolved and written to D1, where the admin API aggregates it per model version.
 * One open window per prediction or recommendation and model version per profile: the
 * next one opens at the next score (or read) after the last one resolved.
 *
 * An *exposure* is the same kind of window for measuring lift (core/lift.ts): the first
 * recommendation answer a user is shown, in treatment or control, and the goal events
 * (conversions, and their value) inside the attribution window after it. A user is
 * exposed once per recommendation; repeated reads change nothing.
 */

/** Late events (an SDK's batched retry) still count this long after a window ends. */
export const OUTCOME_GRACE_MS = 3_600_000;
/** How long a served list waits for the user to take one of its items (the evaluation's horizon). */
export const REC_OUTCOME_DAYS = 30;
/** Distinct items taken that a window remembers (beyond a list's length they no longer change NDCG). */
const MAX_TAKEN = 100;
const DAY_MS = 86_400_000;

export interface ServedWindow {
  owner_kind: "prediction" | "recommendation" | "exposure";
  owner_id: string;
  model_id: string;
  opened_at: number;
  closes_at: number;
  /** A prediction's served probability. */
  score?: number;
  /** A recommendation's served list and how it was chosen (model, control, fallback). */
  items?: string[];
  source?: string;
  /** A prediction's goal was reached inside the window. */
  reached?: boolean;
  /** 0-based positions of listed items the user took, and the distinct relevant items taken. */
  hits?: number[];
  taken?: string[];
  /** An exposure's arm, and its conversions so far: how many goal events, the first one's time, their summed value. */
  variant?: "treatment" | "control";
  conversions?: number;
  converted_at?: number | null;
  value?: number;
  /** A goal of its own (the global control group's, from the project settings) instead of its definition's. */
  goal?: WindowGoal;
}

/** A closed window as D1 keeps it. */
export interface ServedOutcome {
  owner_kind: ServedWindow["owner_kind"];
  owner_id: string;
  model_id: string;
  opened_at: number;
  closes_at: number;
  source: string | null;
  score: number | null;
  /** Prediction: reached the goal (0/1). Recommendation: took a listed item (0/1). */
  outcome: number;
  /** Prediction: the log loss of the served probability. */
  loss: number | null;
  /** Recommendation: distinct relevant items taken, and the list's NDCG over them. */
  relevant: number | null;
  ndcg: number | null;
}

/** What a window's goal is, from the definition it serves. */
export interface WindowGoal {
  goal: EventSpec;
  /** Recommendations: the item property, and whether items the user had before are excluded (so only new ones are relevant). */
  itemProperty?: string;
  newItemsOnly?: boolean;
  /** Exposures: only goal events on a listed item convert; the goal's value property. */
  onListedItems?: boolean;
  valueProperty?: string;
}

export function predictionWindow(ownerId: string, modelId: string, score: number, horizonDays: number, now: number): ServedWindow {
  return { owner_kind: "prediction", owner_id: ownerId, model_id: modelId, opened_at: now, closes_at: now + horizonDays * DAY_MS, score, reached: false };
}

export function recommendationWindow(ownerId: string, modelId: string, items: readonly string[], source: string, now: number): ServedWindow {
  return {
    owner_kind: "recommendation",
    owner_id: ownerId,
    model_id: modelId,
    opened_at: now,
    closes_at: now + REC_OUTCOME_DAYS * DAY_MS,
    items: [...items],
    source,
    hits: [],
    taken: [],
  };
}

/** The first shown answer of a recommendation: its arm, list and attribution window. */
export function exposureWindow(
  ownerId: string,
  modelId: string,
  items: readonly string[],
  source: string,
  control: boolean,
  attributionDays: number,
  now: number,
): ServedWindow {
  return {
    owner_kind: "exposure",
    owner_id: ownerId,
    model_id: modelId,
    opened_at: now,
    closes_at: now + attributionDays * DAY_MS,
    items: [...items],
    source,
    variant: control ? "control" : "treatment",
    conversions: 0,
    converted_at: null,
    value: 0,
  };
}

/** The owner id of the project-wide control group's exposures. */
export const GLOBAL_EXPOSURE = "global";

/** A user's exposure to a measured holdout (core/holdout.ts): the global control group's (`global`), or a sync's (`sync:<id>`). */
export function holdoutExposureWindow(ownerId: string, e: HoldoutExposure, now: number): ServedWindow {
  return {
    owner_kind: "exposure",
    owner_id: ownerId,
    model_id: "none",
    opened_at: now,
    closes_at: now + e.attributionDays * DAY_MS,
    source: e.control ? "held_out" : "included",
    variant: e.control ? "control" : "treatment",
    conversions: 0,
    converted_at: null,
    value: 0,
    goal: { goal: e.goal, valueProperty: e.valueProperty },
  };
}

const itemOf = (v: Json | undefined): string | null => (typeof v === "string" ? v : typeof v === "number" ? String(v) : null);

/**
 * Records events inside the window (event time after it opened, up to its end).
 * `hadBefore(item)`: the profile already had the item when this event arrived (history
 * before the event), so for a new-items-only list an item taken again is not relevant
 * unless it was first taken inside this window. Answers whether the window changed.
 */
export function recordEvents(w: ServedWindow, goal: WindowGoal, events: readonly TailorEvent[], hadBefore: (item: string) => boolean): boolean {
  let changed = false;
  for (const e of events) {
    if (e.time <= w.opened_at || e.time > w.closes_at || !matchesSpec(e, goal.goal)) continue;
    if (w.owner_kind === "prediction") {
      if (!w.reached) changed = w.reached = true;
      continue;
    }
    if (w.owner_kind === "exposure") {
      const item = goal.itemProperty === undefined ? null : itemOf(eventProperty(e, goal.itemProperty));
      if (goal.onListedItems === true && (item === null || !(w.items ?? []).includes(item))) continue;
      const value = goal.valueProperty === undefined ? undefined : eventProperty(e, goal.valueProperty);
      w.conversions = (w.conversions ?? 0) + 1;
      w.converted_at = Math.min(w.converted_at ?? e.time, e.time);
      if (typeof value === "number" && Number.isFinite(value)) w.value = (w.value ?? 0) + value;
      changed = true;
      continue;
    }
    const item = goal.itemProperty === undefined ? null : itemOf(eventProperty(e, goal.itemProperty));
    if (item === null) continue;
    const taken = w.taken ?? (w.taken = []);
    const hits = w.hits ?? (w.hits = []);
    const rank = (w.items ?? []).indexOf(item);
    if (taken.includes(item)) continue;
    // Listed items are always relevant (the list obeyed the exclusions when it was served).
    if (rank < 0 && goal.newItemsOnly === true && hadBefore(item)) continue;
    if (taken.length < MAX_TAKEN) taken.push(item);
    if (rank >= 0) hits.push(rank);
    changed = true;
  }
  return changed;
}

/** Binary-relevance NDCG of a list whose positions `hits` were taken, out of `relevant` items taken. */
export function listNdcg(hits: readonly number[], relevant: number, listLength: number): number {
  let dcg = 0;
  for (const rank of hits) dcg += 1 / Math.log2(rank + 2);
  let ideal = 0;
  for (let rank = 0; rank < Math.min(listLength, relevant); rank++) ideal += 1 / Math.log2(rank + 2);
  return ideal > 0 ? dcg / ideal : 0;
}

const EPS = 1e-15;

/** The window's outcome, once it has ended. */
export function resolveWindow(w: ServedWindow): ServedOutcome {
  const base = { owner_kind: w.owner_kind, owner_id: w.owner_id, model_id: w.model_id, opened_at: w.opened_at, closes_at: w.closes_at };
  if (w.owner_kind === "prediction") {
    const p = Math.min(1 - EPS, Math.max(EPS, w.score ?? 0));
    const outcome = w.reached ? 1 : 0;
    return { ...base, source: null, score: w.score ?? null, outcome, loss: outcome === 1 ? -Math.log(p) : -Math.log(1 - p), relevant: null, ndcg: null };
  }
  if (w.owner_kind === "exposure")
    return { ...base, source: w.source ?? null, score: null, outcome: (w.conversions ?? 0) > 0 ? 1 : 0, loss: null, relevant: null, ndcg: null };
  const hits = w.hits ?? [];
  const relevant = (w.taken ?? []).length;
  return {
    ...base,
    source: w.source ?? null,
    score: null,
    outcome: hits.length > 0 ? 1 : 0,
    loss: null,
    relevant,
    ndcg: listNdcg(hits, relevant, (w.items ?? []).length),
  };
}

/** When a window's outcome is final: its end plus the grace for late events. */
export function resolvesAt(w: Pick<ServedWindow, "closes_at">): number {
  return w.closes_at + OUTCOME_GRACE_MS;
}
