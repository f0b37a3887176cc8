import type { InteractionLog } from "./interactions";

/**
 * Item-kNN: each item's `k` most similar items by cosine over which users took them
 * (binary), as padded n × k tables. A user's kNN score for an item is the summed
 * similarity to the items they took; the recommender adds it, weighted, to its
 * collaborative score (weight 0: none), so the validation month can choose a blend.
 */
export interface Neighbours {
  k: number;
  /** n × k item indices (an item's own index, with similarity 0, pads short rows). */
  index: Int32Array;
  sim: Float64Array;
}

export function itemNeighbours(log: InteractionLog, before: number, k: number): Neighbours {
  const n = log.items.size;
  const baskets = new Map<number, Set<number>>();
  for (const x of log.interactions) {
    if (x.time >= before) continue;
    let b = baskets.get(x.user);
    if (b === undefined) baskets.set(x.user, (b = new Set()));
    b.add(x.item);
  }
  const userItems = [...baskets.values()].map((b) => Int32Array.from(b));
  const itemUsers = Array.from({ length: n }, () => [] as number[]);
  userItems.forEach((items, u) => {
    for (const i of items) itemUsers[i]!.push(u);
  });
  const index = new Int32Array(n * k);
  const sim = new Float64Array(n * k);
  // One item at a time through a dense accumulator: memory stays O(items), not O(pairs).
  const co = new Float64Array(n);
  const touched: number[] = [];
  for (let a = 0; a < n; a++) {
    for (const u of itemUsers[a]!) {
      for (const b of userItems[u]!) {
        if (b === a) continue;
        if (co[b] === 0) touched.push(b);
        co[b]!++;
      }
    }
    const ta = itemUsers[a]!.length;
    const best = touched.map((b): [number, number] => [b, co[b]! / Math.sqrt(ta * itemUsers[b]!.length)]).sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    for (const b of touched) co[b] = 0;
    touched.length = 0;
    for (let r = 0; r < k; r++) {
      const [b, s] = best[r] ?? [a, 0];
      index[a * k + r] = b;
      sim[a * k + r] = s;
    }
  }
  return { k, index, sim };
}

/** Adds weight × the summed similarities of the user's items to their scores. */
export function addNeighbours(scores: Float64Array, nb: Neighbours, weight: number, items: readonly number[]): Float64Array {
  for (const i of items) {
    for (let r = 0; r < nb.k; r++) scores[nb.index[i * nb.k + r]!]! += weight * nb.sim[i * nb.k + r]!;
  }
  return scores;
}
