/**
 * Served-path quality of a model version, from its resolved windows (served-outcomes.ts)
 * as D1 aggregates them: predictions by score bin, recommendations by source. Bins keep
 * the query's answer small however many users were scored; metrics are exact up to ties
 * inside a bin (counted half, as ranking ties are).
 */

/** Score bins per unit of probability. */
export const SCORE_BINS = 1000;

export interface ScoreBinRow {
  bin: number;
  n: number;
  positives: number;
  sum_score: number;
  sum_loss: number;
}

export interface ServedPredictionQuality {
  users: number;
  positive_rate: number;
  auc: number | null;
  log_loss: number;
  precision_at_10pct: number;
  /** Mean served probability vs observed rate per decile of served score (10 = highest). */
  calibration: { decile: number; count: number; predicted: number; actual: number }[];
}

export function predictionQuality(rows: readonly ScoreBinRow[]): ServedPredictionQuality | null {
  const bins = [...rows].filter((r) => r.n > 0).sort((a, b) => a.bin - b.bin);
  const n = bins.reduce((s, b) => s + b.n, 0);
  if (n === 0) return null;
  const positives = bins.reduce((s, b) => s + b.positives, 0);
  const negatives = n - positives;
  let negBelow = 0;
  let pairs = 0;
  for (const b of bins) {
    const neg = b.n - b.positives;
    pairs += b.positives * (negBelow + neg / 2);
    negBelow += neg;
  }
  return {
    users: n,
    positive_rate: positives / n,
    auc: positives === 0 || negatives === 0 ? null : pairs / (positives * negatives),
    log_loss: bins.reduce((s, b) => s + b.sum_loss, 0) / n,
    precision_at_10pct: topShare(bins, n, 0.1),
    calibration: deciles(bins, n),
  };
}

/** Precision among the highest `fraction` of scores; the boundary bin counts pro rata. */
function topShare(ascending: readonly ScoreBinRow[], n: number, fraction: number): number {
  const k = Math.max(1, Math.round(n * fraction));
  let left = k;
  let hits = 0;
  for (let i = ascending.length - 1; i >= 0 && left > 0; i--) {
    const b = ascending[i]!;
    const take = Math.min(left, b.n);
    hits += (b.positives * take) / b.n;
    left -= take;
  }
  return hits / k;
}

/** Ten equal shares of users by served score (as the evaluation slices them); a bin spanning a boundary is split pro rata. */
function deciles(ascending: readonly ScoreBinRow[], n: number): ServedPredictionQuality["calibration"] {
  const edge = (d: number) => Math.floor((d * n) / 10);
  const out = Array.from({ length: 10 }, (_, d) => ({ decile: d + 1, count: 0, score: 0, positives: 0 }));
  let before = 0;
  for (const b of ascending) {
    for (const [d, slot] of out.entries()) {
      const overlap = Math.min(before + b.n, edge(d + 1)) - Math.max(before, edge(d));
      if (overlap <= 0) continue;
      slot.count += overlap;
      slot.score += (b.sum_score * overlap) / b.n;
      slot.positives += (b.positives * overlap) / b.n;
    }
    before += b.n;
  }
  return out.filter((d) => d.count > 0).map((d) => ({ decile: d.decile, count: d.count, predicted: d.score / d.count, actual: d.positives / d.count }));
}

export interface ServedListRow {
  source: string;
  windows: number;
  /** Windows in which the user took at least one relevant item (what hit rate is over, as in the evaluation). */
  relevant_windows: number;
  hits: number;
  sum_ndcg: number;
}

export interface ServedRecommendationQuality {
  /** Lists served whose window ended, and those among them in which the user took a relevant item. */
  lists: number;
  users: number;
  hit_rate: number | null;
  ndcg: number | null;
}

/** Hit rate and NDCG per source (model, control, fallback …) and over all of them. */
export function recommendationQuality(
  rows: readonly ServedListRow[],
): { all: ServedRecommendationQuality; by_source: Record<string, ServedRecommendationQuality> } | null {
  if (rows.length === 0) return null;
  const of = (rs: readonly ServedListRow[]): ServedRecommendationQuality => {
    const users = rs.reduce((s, r) => s + r.relevant_windows, 0);
    return {
      lists: rs.reduce((s, r) => s + r.windows, 0),
      users,
      hit_rate: users === 0 ? null : rs.reduce((s, r) => s + r.hits, 0) / users,
      ndcg: users === 0 ? null : rs.reduce((s, r) => s + r.sum_ndcg, 0) / users,
    };
  };
  return { all: of(rows), by_source: Object.fromEntries(rows.map((r) => [r.source, of([r])])) };
}
