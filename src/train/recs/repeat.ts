import type { InteractionLog } from "./interactions";

/**
 * The repeat component of a recommender whose definition lets items be shown again: an
 * item the user already took gets `base`, plus `perCount` × log(1 + times taken), plus
 * the item's own re-take propensity `item[i]` (some products are bought again and again,
 * most once). Added to the collaborative score, so the user's history and the
 * catalogue's taste both rank; zero when repeats are excluded anyway.
 */
export interface RepeatComponent {
  base: number;
  perCount: number;
  item: Float64Array;
}

/** Users' prior for an item's re-take rate: this many users at the average rate. */
const PRIOR_USERS = 20;

/**
 * Each item's smoothed log re-take rate before `before`: among users who took it, the
 * share who took it more than once, relative to the average share (0 = average).
 */
export function retakePropensity(log: InteractionLog, before: number): Float64Array {
  const counts = new Map<number, Map<number, number>>();
  for (const x of log.interactions) {
    if (x.goal || x.time >= before) continue;
    let m = counts.get(x.item);
    if (m === undefined) counts.set(x.item, (m = new Map()));
    m.set(x.user, (m.get(x.user) ?? 0) + 1);
  }
  const takers = new Float64Array(log.items.size);
  const again = new Float64Array(log.items.size);
  for (const [item, users] of counts) {
    takers[item] = users.size;
    for (const n of users.values()) if (n > 1) again[item]!++;
  }
  const total = takers.reduce((a, b) => a + b, 0);
  const mean = total > 0 ? again.reduce((a, b) => a + b, 0) / total : 0;
  if (mean <= 0) return new Float64Array(log.items.size);
  return Float64Array.from(takers, (n, i) => Math.log((again[i]! + PRIOR_USERS * mean) / (n + PRIOR_USERS) / mean));
}

/** Adds the repeat component for a user's history (item → times taken) to their scores. */
export function addRepeat(scores: Float64Array, repeat: RepeatComponent, history: ReadonlyMap<number, number>): Float64Array {
  for (const [i, count] of history) scores[i]! += repeat.base + repeat.perCount * Math.log1p(count) + repeat.item[i]!;
  return scores;
}
