import type { WireEvent } from "../../core/retail/events";

/**
 * What each customer of the retail data set really did, straight from the file (never
 * through Tailor): the ground truth an evaluation scores served answers against, and
 * the history its simple baselines are computed from.
 */
export interface Customer {
  /** Completed orders, in time order. */
  orders: { time: number; revenue: number }[];
  /** Purchased product lines, in time order. */
  lines: { time: number; item: string }[];
}

export class RetailTruth {
  readonly customers = new Map<string, Customer>();

  /** Events as `invoiceEvents` makes them (unshifted), in file order. */
  add(events: readonly WireEvent[]): void {
    for (const e of events) {
      let c = this.customers.get(e.user_id);
      if (e.event_type === "Order Completed") {
        c ??= this.#create(e.user_id);
        c.orders.push({ time: e.time, revenue: Number(e.event_properties.revenue ?? 0) });
      } else if (e.event_type === "Product Purchased") {
        c ??= this.#create(e.user_id);
        c.lines.push({ time: e.time, item: String(e.event_properties.product_id) });
      }
    }
  }

  /** Sorts what was added (the file is chronological but for one interleaved invoice). */
  finish(): this {
    for (const c of this.customers.values()) {
      c.orders.sort((a, b) => a.time - b.time);
      c.lines.sort((a, b) => a.time - b.time);
    }
    return this;
  }

  /** Customers with an order before `t`: the ones a store would have profiles for then. */
  known(t: number): string[] {
    return [...this.customers].filter(([, c]) => c.orders.length > 0 && c.orders[0]!.time < t).map(([id]) => id);
  }

  #create(id: string): Customer {
    const c: Customer = { orders: [], lines: [] };
    this.customers.set(id, c);
    return c;
  }
}

/** Did the customer order in (t, t + horizon]? */
export function orderedWithin(c: Customer, t: number, horizonMs: number): 0 | 1 {
  return c.orders.some((o) => o.time > t && o.time <= t + horizonMs) ? 1 : 0;
}

/** The items a customer bought in (t, t + horizon]. */
export function boughtWithin(c: Customer, t: number, horizonMs: number): Set<string> {
  return new Set(c.lines.filter((l) => l.time > t && l.time <= t + horizonMs).map((l) => l.item));
}

/** The items a customer bought before `t`, with how often (lines) and when last. */
export function boughtBefore(c: Customer, t: number): Map<string, { count: number; last: number }> {
  const out = new Map<string, { count: number; last: number }>();
  for (const l of c.lines) {
    if (l.time >= t) break;
    const seen = out.get(l.item);
    if (seen === undefined) out.set(l.item, { count: 1, last: l.time });
    else {
      seen.count++;
      seen.last = l.time;
    }
  }
  return out;
}
