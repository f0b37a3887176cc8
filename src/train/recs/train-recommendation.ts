import type { CatalogItem } from "../../core/recommendations/select";
import { evaluateTopN, topN, type HoldoutCase, type TopNMetrics } from "./evaluate";
import type { InteractionLog } from "./interactions";
import { itemEmbeddings, scoreItems, sparseRows } from "./pure-svd";

const DAY = 86_400_000;
const TOP_N = 10;
/** Candidate embedding sizes; the validation month picks one. */
const RANKS = [16, 32, 64, 128];
/** Popularity is counted over this recent span (a stronger baseline than all time). */
const RECENT_MS = 30 * DAY;
/** Goal-awareness: how long after an item a goal still counts, and the prior's weight. */
const GOAL_WITHIN_MS = 30 * DAY;
const PRIOR_USERS = 20;

export interface RecModel {
  rank: number;
  /** Items × rank, row-major. */
  embeddings: Float64Array;
  /** Per-item additive score: goal lift (zero when the goal is the item event). */
  bias: Float64Array;
  /** Item indices, most popular (recent distinct users) first. */
  popular: number[];
}

export interface RecTrainResult {
  model: RecModel;
  catalog: CatalogItem[];
  holdoutCutoff: number;
  holdout: { model: TopNMetrics; popular_recent: TopNMetrics; popular_all_time: TopNMetrics };
  validation: { rank: number; ndcg: number; hit_rate: number }[];
  rows: { users: number; items: number; interactions: number };
}

/** Each user's distinct items before `before` (item events, and goal events naming an item). */
function seenBefore(log: InteractionLog, before: number): Map<number, Set<number>> {
  const seen = new Map<number, Set<number>>();
  for (const x of log.interactions) {
    if (x.time >= before) continue;
    let s = seen.get(x.user);
    if (s === undefined) seen.set(x.user, (s = new Set()));
    s.add(x.item);
  }
  return seen;
}

/** What counts as reaching an item: goal events naming it, or item events when the goal is the item event. */
const isTarget = (log: InteractionLog, goal: boolean) => (log.goalIsItem ? !goal : goal);

/** Users active before `from` who reached items new to them in [from, to). */
export function holdoutCases(log: InteractionLog, from: number, to: number): HoldoutCase[] {
  const seen = seenBefore(log, from);
  const relevant = new Map<number, Set<number>>();
  for (const x of log.interactions) {
    if (x.time < from || x.time >= to || !isTarget(log, x.goal)) continue;
    const before = seen.get(x.user);
    if (before === undefined || before.has(x.item)) continue;
    let r = relevant.get(x.user);
    if (r === undefined) relevant.set(x.user, (r = new Set()));
    r.add(x.item);
  }
  return [...relevant].map(([user, items]) => ({ user, seen: [...seen.get(user)!], relevant: items }));
}

/** Items by distinct users reaching them in [from, to), most first (ties: lower index). */
export function popularity(log: InteractionLog, from: number, to: number, items: number): number[] {
  const users = Array.from({ length: items }, () => new Set<number>());
  for (const x of log.interactions) if (x.time >= from && x.time < to && isTarget(log, x.goal)) users[x.item]!.add(x.user);
  return [...users.keys()].sort((a, b) => users[b]!.size - users[a]!.size || a - b);
}

/** Fits embeddings on item events before `before`, plus the goal lift per item. */
export function fit(log: InteractionLog, before: number, rank: number): RecModel {
  const items = log.items.size;
  const seen = seenBefore(log, before);
  const entries: [number, number, number][] = [];
  for (const [user, set] of seen) for (const item of set) entries.push([user, item, 1]);
  const embeddings = itemEmbeddings(sparseRows(log.users.size, items, entries), rank);
  const actual = embeddings.length / items;
  const model: RecModel = { rank: actual, embeddings, bias: new Float64Array(items), popular: popularity(log, before - RECENT_MS, before, items) };
  if (!log.goalIsItem) model.bias = goalLift(log, before, model, [...seen]);
  return model;
}

/**
 * Items after which users went on to the goal more often than average rank higher: the
 * smoothed log lift of each item's goal rate, in units of a typical spread of scores.
 */
function goalLift(log: InteractionLog, before: number, model: RecModel, seen: [number, Set<number>][]): Float64Array {
  const items = log.items.size;
  const firstTouch = new Map<string, number>();
  for (const x of log.interactions) {
    if (x.goal || x.time >= before) continue;
    const key = `${x.user}:${x.item}`;
    if (!firstTouch.has(key)) firstTouch.set(key, x.time);
  }
  const tried = new Float64Array(items);
  const converted = new Float64Array(items);
  for (const [key, t] of firstTouch) {
    const [user, item] = key.split(":").map(Number) as [number, number];
    tried[item]!++;
    if ((log.goals.get(user) ?? []).some((g) => g > t && g <= t + GOAL_WITHIN_MS && g < before)) converted[item]!++;
  }
  const total = tried.reduce((a, b) => a + b, 0);
  const mean = total > 0 ? converted.reduce((a, b) => a + b, 0) / total : 0;
  if (mean <= 0) return new Float64Array(items);
  // The spread of scores, so the lift weighs the same whatever the embeddings' scale.
  let spread = 0;
  const sample = seen.slice(0, 200);
  for (const [, set] of sample) {
    const s = scoreItems(model.embeddings, model.rank, [...set]);
    const avg = s.reduce((a, b) => a + b, 0) / s.length;
    spread += Math.sqrt(s.reduce((a, b) => a + (b - avg) ** 2, 0) / s.length);
  }
  spread = sample.length > 0 ? spread / sample.length : 1;
  return Float64Array.from(tried, (n, i) => spread * Math.log((converted[i]! + PRIOR_USERS * mean) / (n + PRIOR_USERS) / mean));
}

function modelRanker(model: RecModel) {
  return (c: HoldoutCase) => topN(scoreItems(model.embeddings, model.rank, c.seen, model.bias), TOP_N, new Set(c.seen));
}

function popularRanker(order: readonly number[]) {
  return (c: HoldoutCase) => {
    const seen = new Set(c.seen);
    const out: number[] = [];
    for (const i of order) {
      if (out.length === TOP_N) break;
      if (!seen.has(i)) out.push(i);
    }
    return out;
  };
}

/**
 * Trains and evaluates on a time split: the month before the holdout picks the
 * embedding size, the last `holdoutDays` judge it against most-popular, and the
 * published model is then fitted on everything.
 */
export function trainRecommendation(log: InteractionLog, end: number, holdoutDays = 30): RecTrainResult {
  const items = log.items.size;
  const cutoff = end - holdoutDays * DAY;
  const validationCutoff = cutoff - holdoutDays * DAY;
  const validationCases = holdoutCases(log, validationCutoff, cutoff);
  const validation = RANKS.map((rank) => {
    const m = evaluateTopN(validationCases, items, TOP_N, modelRanker(fit(log, validationCutoff, rank)));
    return { rank, ndcg: m.ndcg, hit_rate: m.hit_rate };
  });
  const best = validation.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));

  const cases = holdoutCases(log, cutoff, end);
  const holdoutModel = fit(log, cutoff, best.rank);
  const holdout = {
    model: evaluateTopN(cases, items, TOP_N, modelRanker(holdoutModel)),
    popular_recent: evaluateTopN(cases, items, TOP_N, popularRanker(holdoutModel.popular)),
    popular_all_time: evaluateTopN(cases, items, TOP_N, popularRanker(popularity(log, -Infinity, cutoff, items))),
  };
  return {
    model: fit(log, end, best.rank),
    catalog: log.catalog(),
    holdoutCutoff: cutoff,
    holdout,
    validation,
    rows: { users: log.users.size, items, interactions: log.interactions.length },
  };
}
