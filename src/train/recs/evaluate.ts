/** Top-N quality on a holdout: what each recommender is judged by, the same way. */
export interface TopNMetrics {
  /** Share of users with at least one held-out item in their top N. */
  hit_rate: number;
  /** Normalised discounted cumulative gain (binary relevance), averaged over users. */
  ndcg: number;
  /** Share of the catalogue that appears in anyone's top N. */
  coverage: number;
  users: number;
}

export interface HoldoutCase {
  user: number;
  /** Items the user interacted with before the cutoff (excluded from the ranking unless repeats are allowed). */
  seen: readonly number[];
  /** How often the user took each of those items (the repeat component reads it). */
  counts?: ReadonlyMap<number, number>;
  /** Items reached after the cutoff (only those new to them, unless repeats are allowed): what a hit is. */
  relevant: ReadonlySet<number>;
}

export function evaluateTopN(cases: readonly HoldoutCase[], catalogSize: number, n: number, recommend: (c: HoldoutCase) => readonly number[]): TopNMetrics {
  let hits = 0;
  let ndcg = 0;
  const shown = new Set<number>();
  for (const c of cases) {
    const recs = recommend(c).slice(0, n);
    let dcg = 0;
    recs.forEach((item, rank) => {
      shown.add(item);
      if (c.relevant.has(item)) dcg += 1 / Math.log2(rank + 2);
    });
    let ideal = 0;
    for (let rank = 0; rank < Math.min(n, c.relevant.size); rank++) ideal += 1 / Math.log2(rank + 2);
    if (dcg > 0) hits++;
    ndcg += ideal > 0 ? dcg / ideal : 0;
  }
  const users = cases.length;
  return { hit_rate: users ? hits / users : 0, ndcg: users ? ndcg / users : 0, coverage: catalogSize ? shown.size / catalogSize : 0, users };
}

/**
 * At most `max` cases: a fixed pseudo-random subset (the same users on every call, so
 * every candidate is judged on the same ones). The parameter search scores the whole
 * catalogue for each case, so its cost stays flat as users grow past `max`.
 */
export function sampleCases<T extends { user: number }>(cases: readonly T[], max: number): readonly T[] {
  if (cases.length <= max) return cases;
  const mix = (user: number) => Math.imul(user ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return [...cases].sort((a, b) => mix(a.user) - mix(b.user) || a.user - b.user).slice(0, max);
}

/** The `n` best-scoring items not in `excluded` (a partial selection, not a full sort). */
export function topN(scores: ArrayLike<number>, n: number, excluded: ReadonlySet<number>): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (excluded.has(i)) continue;
    const s = scores[i]!;
    if (best.length === n && s <= scores[best[n - 1]!]!) continue;
    let at = best.length === n ? n - 1 : best.length;
    while (at > 0 && scores[best[at - 1]!]! < s) at--;
    best.splice(at, 0, i);
    if (best.length > n) best.pop();
  }
  return best;
}
