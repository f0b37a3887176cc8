import { catalogOf, staticExclusions, type CatalogItem } from "../../core/recommendations/select";
import { evaluateTopN, sampleCases, topN, type HoldoutCase, type TopNMetrics } from "./evaluate";
import type { InteractionLog } from "./interactions";
import { itemEmbeddings, scoreItems, sparseRows } from "./pure-svd";
import { addNeighbours, itemNeighbours, type Neighbours } from "./item-knn";
import { addRepeat, retakePropensity, type RepeatComponent } from "./repeat";

const DAY = 86_400_000;
const TOP_N = 10;
/** Candidate embedding sizes; the validation month picks one. */
const RANKS = [16, 32, 64, 128];
/** Then, at that size: how fast old contacts fade (days; Infinity = never) and the popularity blend. */
const HALF_LIVES = [90, 45, 21, 10];
const POPULARITY_WEIGHTS = [1, 2, 4, 8, 16];
/** When repeats may be shown: the repeat component's weights, in units of the score spread. */
const REPEAT_BASES = [1, 2, 4, 8, 16, 32];
const REPEAT_PER_COUNT = [0.5, 1, 2, 4, 8];
const REPEAT_ITEM = [0.5, 1, 2];
/** The item-kNN blend's weights (units of the score spread over the kNN scores' spread), and its neighbours per item. */
const KNN_WEIGHTS = [0.5, 1, 2, 4, 8, 32];
const NEIGHBOURS = 50;
/** Popularity is counted over this recent span (a stronger baseline than all time). */
const RECENT_MS = 30 * DAY;
/** Goal-awareness: how long after an item a goal still counts, and the prior's weight. */
const GOAL_WITHIN_MS = 30 * DAY;
const PRIOR_USERS = 20;
/** Validation users each candidate is judged on (a fixed sample beyond that; the data set has about 1,400 at its last cutoff). */
const VALIDATION_USERS = 5_000;

export interface RecModel {
  rank: number;
  /** Items × rank, row-major. */
  embeddings: Float64Array;
  /** Per-item additive score: goal lift (zero when the goal is the item event). */
  bias: Float64Array;
  /** Item indices, most popular (recent distinct users) first. */
  popular: number[];
  /** Only when the definition lets a user's own items be shown again. */
  repeat: RepeatComponent | null;
  /** Item neighbours and their weight, when the validation month chose a kNN blend. */
  knn: { neighbours: Neighbours; weight: number } | null;
}

export interface RecTrainResult {
  model: RecModel;
  catalog: CatalogItem[];
  holdoutCutoff: number;
  holdout: { model: TopNMetrics; popular_recent: TopNMetrics; popular_all_time: TopNMetrics; repeat_buy?: TopNMetrics };
  /** The parameters the validation month chose. */
  params: FitParams;
  validation: (FitParams & { ndcg: number; hit_rate: number })[];
  rows: { users: number; items: number; interactions: number };
}

/**
 * Each user's items before `before` (item events, and goal events naming an item) with
 * how often they took each (item events; the profile's item history counts the same).
 */
function historyBefore(log: InteractionLog, before: number): Map<number, Map<number, number>> {
  const seen = new Map<number, Map<number, number>>();
  for (const x of log.interactions) {
    if (x.time >= before) continue;
    let s = seen.get(x.user);
    if (s === undefined) seen.set(x.user, (s = new Map()));
    s.set(x.item, (s.get(x.item) ?? 0) + (x.goal ? 0 : 1));
  }
  return seen;
}

/** Whether the definition lets users be shown items they already took (then a repeat counts as a hit). */
export function repeatsAllowed(log: InteractionLog): boolean {
  return !log.rec.exclude.interacted && !log.rec.exclude.converted;
}

/** Each user's latest contact with each item before `before`: the matrix's entries, for time decay. */
function lastContact(log: InteractionLog, before: number): Map<number, Map<number, number>> {
  const last = new Map<number, Map<number, number>>();
  for (const x of log.interactions) {
    if (x.time >= before) continue;
    let m = last.get(x.user);
    if (m === undefined) last.set(x.user, (m = new Map()));
    m.set(x.item, Math.max(m.get(x.item) ?? -Infinity, x.time));
  }
  return last;
}

/** What counts as reaching an item: goal events naming it, or item events when the goal is the item event. */
const isTarget = (log: InteractionLog, goal: boolean) => (log.goalIsItem ? !goal : goal);

/** Users active before `from` who reached items in [from, to): items new to them, or any when repeats are allowed. */
export function holdoutCases(log: InteractionLog, from: number, to: number, repeats = repeatsAllowed(log)): HoldoutCase[] {
  const seen = historyBefore(log, from);
  const relevant = new Map<number, Set<number>>();
  for (const x of log.interactions) {
    if (x.time < from || x.time >= to || !isTarget(log, x.goal)) continue;
    const before = seen.get(x.user);
    if (before === undefined || (!repeats && before.has(x.item))) continue;
    let r = relevant.get(x.user);
    if (r === undefined) relevant.set(x.user, (r = new Set()));
    r.add(x.item);
  }
  return [...relevant].map(([user, items]) => ({ user, seen: [...seen.get(user)!.keys()], counts: seen.get(user)!, relevant: items }));
}

/** Items by distinct users reaching them in [from, to), most first (ties: lower index). */
export function popularity(log: InteractionLog, from: number, to: number, items: number): number[] {
  return byReach(recentReach(log, from, to, items));
}

/** Item indices by reach, most first (ties: lower index). */
function byReach(reach: readonly number[]): number[] {
  return [...reach.keys()].sort((a, b) => reach[b]! - reach[a]! || a - b);
}

/**
 * How a model is fitted. `halfLifeDays` fades old contacts in the matrix (tastes drift);
 * `popularity` adds each item's recent popularity to its score, in units of a typical
 * spread of scores (a blend with the most-popular baseline, tuned, not assumed).
 */
export interface FitParams {
  rank: number;
  halfLifeDays: number;
  popularity: number;
  /** The repeat component (repeat.ts), in units of the score spread; all 0 without one. */
  repeatBase: number;
  repeatPerCount: number;
  repeatItem: number;
  /** The item-kNN blend (item-knn.ts), in units of the score spread; 0 without one. */
  knn: number;
}

/** Item embeddings from contacts before `before`, old ones faded (the costly part: an SVD). */
function embed(log: InteractionLog, before: number, rank: number, halfLifeDays: number): Float64Array {
  const entries: [number, number, number][] = [];
  const halfLife = halfLifeDays * DAY;
  for (const [user, contacts] of lastContact(log, before)) {
    for (const [item, t] of contacts) entries.push([user, item, Number.isFinite(halfLife) ? 0.5 ** ((before - t) / halfLife) : 1]);
  }
  return itemEmbeddings(sparseRows(log.users.size, log.items.size, entries), rank);
}

/**
 * Fits embeddings on contacts before `before`, plus each item's bias (goal lift,
 * popularity). `embeddings` may be given when they were already computed for the same
 * cutoff, rank and half-life (the popularity weight does not change them).
 */
export function fit(
  log: InteractionLog,
  before: number,
  params: FitParams,
  embeddings = embed(log, before, params.rank, params.halfLifeDays),
  neighbours: () => Neighbours = () => itemNeighbours(log, before, NEIGHBOURS),
): RecModel {
  const items = log.items.size;
  const rank = embeddings.length / items;
  const recentUsers = recentReach(log, before - RECENT_MS, before, items);
  const model: RecModel = { rank, embeddings, bias: new Float64Array(items), popular: byReach(recentUsers), repeat: null, knn: null };
  const sample = [...historyBefore(log, before).values()].slice(0, 200).map((h) => [...h.keys()]);
  const spread = scoreSpread((h) => scoreItems(model.embeddings, model.rank, h), sample);
  if (params.knn > 0) {
    const nb = neighbours();
    const knnSpread = scoreSpread((h) => addNeighbours(new Float64Array(items), nb, 1, h), sample) || 1;
    model.knn = { neighbours: nb, weight: (params.knn * spread) / knnSpread };
  }
  const lift = log.goalIsItem ? null : goalLift(log, before);
  const top = Math.log1p(Math.max(1, ...recentUsers));
  model.bias = Float64Array.from(recentUsers, (n, i) => spread * ((lift?.[i] ?? 0) + (params.popularity * Math.log1p(n)) / top));
  if (params.repeatBase !== 0 || params.repeatPerCount !== 0 || params.repeatItem !== 0) {
    const retake = retakePropensity(log, before);
    model.repeat = { base: spread * params.repeatBase, perCount: spread * params.repeatPerCount, item: retake.map((r) => spread * params.repeatItem * r) };
  }
  return model;
}

/** The typical standard deviation of a user's scores, so biases weigh the same at any scale. */
function scoreSpread(score: (history: number[]) => Float64Array, histories: number[][]): number {
  if (histories.length === 0) return 1;
  let spread = 0;
  for (const h of histories) {
    const s = score(h);
    const avg = s.reduce((a, b) => a + b, 0) / s.length;
    spread += Math.sqrt(s.reduce((a, b) => a + (b - avg) ** 2, 0) / s.length);
  }
  return spread / histories.length;
}

/** Distinct users reaching each item in [from, to). */
function recentReach(log: InteractionLog, from: number, to: number, items: number): number[] {
  const users = Array.from({ length: items }, () => new Set<number>());
  for (const x of log.interactions) if (x.time >= from && x.time < to && isTarget(log, x.goal)) users[x.item]!.add(x.user);
  return users.map((u) => u.size);
}

/** Items after which users went on to the goal more often than average: the smoothed log lift of each item's goal rate. */
function goalLift(log: InteractionLog, before: number): Float64Array {
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
  return Float64Array.from(tried, (n, i) => Math.log((converted[i]! + PRIOR_USERS * mean) / (n + PRIOR_USERS) / mean));
}

/** Items the definition never shows (its list and property filters): no ranker may show them. */
type Hidden = ReadonlySet<number>;

/** A model's scores for one user, as the served ONNX graph computes them. */
export function scoreUser(model: RecModel, seen: readonly number[], counts: ReadonlyMap<number, number>): Float64Array {
  const scores = scoreItems(model.embeddings, model.rank, seen, model.bias);
  if (model.knn !== null) addNeighbours(scores, model.knn.neighbours, model.knn.weight, seen);
  return model.repeat === null ? scores : addRepeat(scores, model.repeat, counts);
}

function modelRanker(model: RecModel, hidden: Hidden, repeats: boolean) {
  return (c: HoldoutCase) => topN(scoreUser(model, c.seen, c.counts ?? new Map()), TOP_N, new Set([...(repeats ? [] : c.seen), ...hidden]));
}

/** The user's own most-taken items first, then the popular ones: the baseline a repeat-aware model must beat. */
function repeatBuyRanker(order: readonly number[], hidden: Hidden) {
  return (c: HoldoutCase) => {
    const own = [...(c.counts ?? new Map<number, number>())].sort((a, b) => b[1] - a[1]).map(([i]) => i);
    const out: number[] = [];
    for (const i of [...own, ...order]) {
      if (out.length === TOP_N) break;
      if (!hidden.has(i) && !out.includes(i)) out.push(i);
    }
    return out;
  };
}

function popularRanker(order: readonly number[], hidden: Hidden, repeats: boolean) {
  return (c: HoldoutCase) => {
    const seen = new Set(repeats ? [] : c.seen);
    const out: number[] = [];
    for (const i of order) {
      if (out.length === TOP_N) break;
      if (!seen.has(i) && !hidden.has(i)) out.push(i);
    }
    return out;
  };
}

/** Holdout cases as serving sees them: hidden items are neither shown nor counted as missed. */
function visibleCases(cases: HoldoutCase[], hidden: Hidden): HoldoutCase[] {
  return cases.map((c) => ({ ...c, relevant: new Set([...c.relevant].filter((i) => !hidden.has(i))) })).filter((c) => c.relevant.size > 0);
}

/**
 * Trains and evaluates on a time split: the month before the holdout picks the
 * embedding size, then the decay, then the popularity blend; the last `holdoutDays`
 * judge the choice against most-popular; the published model is fitted on everything.
 */
export function trainRecommendation(log: InteractionLog, end: number, holdoutDays = 30): RecTrainResult {
  const items = log.items.size;
  const catalog = log.catalog();
  const mask = staticExclusions(catalogOf(catalog, []), log.rec);
  const hidden: Hidden = new Set([...mask.keys()].filter((i) => mask[i] === 1));
  const cutoff = end - holdoutDays * DAY;
  const validationCutoff = cutoff - holdoutDays * DAY;
  const repeats = repeatsAllowed(log);
  const validationCases = sampleCases(visibleCases(holdoutCases(log, validationCutoff, cutoff, repeats), hidden), VALIDATION_USERS);
  const validation: RecTrainResult["validation"] = [];
  const embeddings = new Map<string, Float64Array>();
  let neighbours: Neighbours | undefined;
  const validationNeighbours = () => (neighbours ??= itemNeighbours(log, validationCutoff, NEIGHBOURS));
  const tryParams = (params: FitParams) => {
    const key = `${params.rank}/${params.halfLifeDays}`;
    let e = embeddings.get(key);
    if (e === undefined) embeddings.set(key, (e = embed(log, validationCutoff, params.rank, params.halfLifeDays)));
    const m = evaluateTopN(validationCases, items, TOP_N, modelRanker(fit(log, validationCutoff, params, e, validationNeighbours), hidden, repeats));
    validation.push({ ...params, ndcg: m.ndcg, hit_rate: m.hit_rate });
    return { params, ndcg: m.ndcg };
  };
  const better = <T extends { ndcg: number }>(a: T, b: T): T => (b.ndcg > a.ndcg ? b : a);
  const none = { repeatBase: 0, repeatPerCount: 0, repeatItem: 0, knn: 0 };
  const byRank = RANKS.map((rank) => tryParams({ rank, halfLifeDays: Infinity, popularity: 0, ...none })).reduce(better);
  // One parameter at a time (coordinate search): size, decay, the kNN blend, popularity, then the repeat component.
  const byDecay = HALF_LIVES.map((halfLifeDays) => tryParams({ ...byRank.params, halfLifeDays })).reduce(better, byRank);
  const byKnn = KNN_WEIGHTS.map((knn) => tryParams({ ...byDecay.params, knn })).reduce(better, byDecay);
  let best = POPULARITY_WEIGHTS.map((popularity) => tryParams({ ...byKnn.params, popularity })).reduce(better, byKnn);
  if (repeats) {
    best = REPEAT_BASES.map((repeatBase) => tryParams({ ...best.params, repeatBase })).reduce(better, best);
    best = REPEAT_PER_COUNT.map((repeatPerCount) => tryParams({ ...best.params, repeatPerCount })).reduce(better, best);
    best = REPEAT_ITEM.map((repeatItem) => tryParams({ ...best.params, repeatItem })).reduce(better, best);
  }

  const cases = visibleCases(holdoutCases(log, cutoff, end, repeats), hidden);
  const holdoutModel = fit(log, cutoff, best.params);
  const holdout = {
    model: evaluateTopN(cases, items, TOP_N, modelRanker(holdoutModel, hidden, repeats)),
    popular_recent: evaluateTopN(cases, items, TOP_N, popularRanker(holdoutModel.popular, hidden, repeats)),
    popular_all_time: evaluateTopN(cases, items, TOP_N, popularRanker(popularity(log, -Infinity, cutoff, items), hidden, repeats)),
    ...(repeats ? { repeat_buy: evaluateTopN(cases, items, TOP_N, repeatBuyRanker(holdoutModel.popular, hidden)) } : {}),
  };
  return {
    model: fit(log, end, best.params),
    params: best.params,
    catalog,
    holdoutCutoff: cutoff,
    holdout,
    validation,
    rows: { users: log.users.size, items, interactions: log.interactions.length },
  };
}
