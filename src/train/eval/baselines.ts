import { fitLogistic, predict } from "../model/logistic-regression";
import { boughtBefore, orderedWithin, type Customer } from "./retail-truth";

/**
 * The simple rules a served model has to beat, computed from the raw history alone: the
 * classic recency / frequency / monetary scores and a logistic regression on them for
 * "will they order again", and most-popular, repeat-buy and item-kNN for "what next".
 */
const DAY = 86_400_000;

export interface Rfm {
  /** Days since the last order before t (large when none). */
  recency: number;
  /** Orders before t. */
  frequency: number;
  /** Revenue before t. */
  monetary: number;
}

export function rfm(c: Customer, t: number): Rfm {
  let frequency = 0;
  let monetary = 0;
  let last = -Infinity;
  for (const o of c.orders) {
    if (o.time >= t) break;
    frequency++;
    monetary += o.revenue;
    last = o.time;
  }
  return { recency: frequency === 0 ? 3650 : (t - last) / DAY, frequency, monetary };
}

const rfmRow = (r: Rfm) => [r.recency, Math.log1p(r.frequency), Math.log1p(Math.max(0, r.monetary))];

/**
 * Logistic regression on R, log F and log M, fitted on `windows` earlier snapshots whose
 * label windows all end by `cutoff` (what a careful analyst can fit at the cutoff), then
 * applied at the cutoff. Answers a probability per customer.
 */
export function rfmLogistic(customers: ReadonlyMap<string, Customer>, cutoff: number, horizonMs: number, windows = 3): Map<string, number> {
  const x: number[][] = [];
  const y: number[] = [];
  for (let k = 0; k < windows; k++) {
    const t = cutoff - horizonMs - k * 30 * DAY;
    for (const c of customers.values()) {
      if (c.orders.length === 0 || c.orders[0]!.time >= t) continue;
      x.push(rfmRow(rfm(c, t)));
      y.push(orderedWithin(c, t, horizonMs));
    }
  }
  const model = fitLogistic(x, y, { l2: 1 });
  const out = new Map<string, number>();
  for (const [id, c] of customers) out.set(id, predict(model, rfmRow(rfm(c, cutoff))));
  return out;
}

/** Items by how many customers bought them in the `days` before t. */
export function popularItems(customers: Iterable<Customer>, t: number, days = 30): string[] {
  const buyers = new Map<string, number>();
  for (const c of customers) {
    const seen = new Set<string>();
    for (const l of c.lines) if (l.time < t && l.time >= t - days * DAY) seen.add(l.item);
    for (const item of seen) buyers.set(item, (buyers.get(item) ?? 0) + 1);
  }
  return [...buyers].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([item]) => item);
}

/** The first n of `ranked` not in `skip`, padded from `fill`. */
function pick(ranked: readonly string[], fill: readonly string[], n: number, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const taken = new Set<string>();
  for (const item of [...ranked, ...fill]) {
    if (out.length === n) break;
    if (skip.has(item) || taken.has(item)) continue;
    taken.add(item);
    out.push(item);
  }
  return out;
}

/** The customer's own most-bought items (most recent first on ties), then popular ones. */
export function repeatBuy(c: Customer, t: number, popular: readonly string[], n: number): string[] {
  const own = [...boughtBefore(c, t)].sort((a, b) => b[1].count - a[1].count || b[1].last - a[1].last).map(([item]) => item);
  return pick(own, popular, n);
}

export function popularFor(c: Customer, t: number, popular: readonly string[], n: number, newOnly: boolean): string[] {
  return pick([], popular, n, newOnly ? new Set(boughtBefore(c, t).keys()) : new Set());
}

/**
 * Item-kNN: cosine similarity between items over which customers bought them before t
 * (binary), each item keeping its `neighbours` most similar; a customer's scores are the
 * summed similarities to what they bought.
 */
export class ItemKnn {
  readonly #neighbours = new Map<string, [string, number][]>();

  constructor(customers: Iterable<Customer>, t: number, neighbours = 200) {
    const baskets: string[][] = [];
    const buyers = new Map<string, number>();
    for (const c of customers) {
      const items = [...boughtBefore(c, t).keys()];
      if (items.length === 0) continue;
      baskets.push(items);
      for (const i of items) buyers.set(i, (buyers.get(i) ?? 0) + 1);
    }
    const co = new Map<string, Map<string, number>>();
    for (const items of baskets) {
      for (const a of items) {
        let row = co.get(a);
        if (row === undefined) co.set(a, (row = new Map()));
        for (const b of items) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
      }
    }
    for (const [a, row] of co) {
      const sims = [...row].map(([b, n]): [string, number] => [b, n / Math.sqrt(buyers.get(a)! * buyers.get(b)!)]);
      sims.sort((x, y) => y[1] - x[1]);
      this.#neighbours.set(a, sims.slice(0, neighbours));
    }
  }

  recommend(c: Customer, t: number, popular: readonly string[], n: number, newOnly: boolean): string[] {
    const history = boughtBefore(c, t);
    const scores = new Map<string, number>();
    for (const item of history.keys()) {
      for (const [b, s] of this.#neighbours.get(item) ?? []) scores.set(b, (scores.get(b) ?? 0) + s);
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1]).map(([item]) => item);
    return pick(ranked, popular, n, newOnly ? new Set(history.keys()) : new Set());
  }
}
