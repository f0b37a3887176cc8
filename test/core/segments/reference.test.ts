import { describe, expect, it } from "vitest";
import type { TailorEvent } from "../../../src/core/event";
import type { JsonObject } from "../../../src/core/json";
import { evaluateReference } from "../../../src/core/segments/reference";
import { AGGREGATES } from "../../../src/core/segments/schema";
import { applyUserProperties } from "../../../src/core/user-properties";
import { definitions, engineFor, ev, rng } from "./helpers";

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

const WINDOWS = {
  all: { kind: "all" },
  hour: { kind: "rolling", duration: { hours: 1 } },
  ten: { kind: "rolling", duration: { minutes: 10 } },
  since: { kind: "since", from: T0 + 30 * MIN },
  between: { kind: "between", from: T0 + 20 * MIN, to: T0 + 90 * MIN },
  sinceCart: { kind: "since_last", event: { type: "Added To Cart" } },
};

// Every aggregate over every window kind, with and without a property filter.
const computations: Record<string, unknown> = {};
for (const [w, window] of Object.entries(WINDOWS)) {
  for (const aggregate of AGGREGATES) {
    computations[`${aggregate}-${w}`] = { event: { type: "Viewed" }, aggregate, property: "price", window, cap: 2 };
  }
  computations[`count-red-${w}`] = { event: { type: "*", filters: [{ property: "color", op: "eq", value: "red" }] }, aggregate: "count", window };
  computations[`colors-${w}`] = { event: { type: "Viewed" }, aggregate: "distinct_values", property: "color", window };
}

const cohorts: Record<string, unknown> = {
  frequent: { type: "behavioral", match: { performed: { event: { type: "Viewed" }, op: ">=", value: 3, window: WINDOWS.hour } } },
  bigSpender: { type: "behavioral", match: { performed: { event: { type: "Purchased" }, measure: { sum: "price" }, op: ">", value: 6, window: WINDOWS.all } } },
  colorful: {
    type: "behavioral",
    match: { performed: { event: { type: "Viewed" }, measure: { distinct: "color" }, op: ">=", value: 2, window: WINDOWS.ten } },
  },
  neverPurchased: { type: "behavioral", match: { not: { performed: { event: { type: "Purchased" } } } } },
  exactlyTwoRed: {
    type: "behavioral",
    match: { performed: { event: { type: "Viewed", filters: [{ property: "color", op: "in", value: ["red"] }] }, op: "=", value: 2, window: WINDOWS.between } },
  },
  fewRecent: { type: "behavioral", match: { performed: { event: { type: "*" }, op: "<", value: 2, window: WINDOWS.ten } } },
  pro: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } },
  proAndFrequent: { type: "behavioral", match: { all: [{ cohort: { id: "pro" } }, { cohort: { id: "frequent" } }] } },
  proOrSpender: { type: "behavioral", match: { any: [{ cohort: { id: "pro" } }, { cohort: { id: "bigSpender" } }] } },
  notProAndFrequent: { type: "behavioral", match: { not: { cohort: { id: "proAndFrequent" } } } },
  viewedThenBought: {
    type: "behavioral",
    match: { sequence: { steps: [{ type: "Viewed" }, { type: "Purchased" }], within: { minutes: 15 }, window: WINDOWS.hour } },
  },
  // The example: added to cart in the last 24 h and no purchase since.
  abandonedCart: {
    type: "behavioral",
    match: {
      all: [
        { performed: { event: { type: "Added To Cart" }, window: { kind: "rolling", duration: { hours: 24 } } } },
        { performed: { event: { type: "Purchased" }, op: "=", value: 0, window: WINDOWS.sinceCart } },
      ],
    },
  },
  lapsed: { type: "behavioral", match: { computation: { id: "time_since_last-all", op: "gt", value: 20 * MIN } } },
  manyViews: { type: "behavioral", match: { computation: { id: "count-hour", op: "gte", value: 2 } } },
  uploaded: { type: "static" },
  uploadedOrLapsed: { type: "behavioral", match: { any: [{ cohort: { id: "uploaded" } }, { cohort: { id: "lapsed" } }] } },
};

const set = definitions({ computations, cohorts });

function randomEvent(r: () => number, now: number): TailorEvent {
  const types = ["Viewed", "Viewed", "Viewed", "Purchased", "Added To Cart", "Other"];
  const type = types[Math.floor(r() * types.length)]!;
  // Mostly "now", sometimes late (out of order) or far in the past.
  // Whole minutes half the time, so events land exactly on window boundaries.
  const roll = r();
  const back = roll < 0.7 ? 0 : roll < 0.95 ? r() * 40 * MIN : r() * 5 * 60 * MIN;
  const time = now - (r() < 0.5 ? Math.round(back / MIN) * MIN : Math.floor(back));
  const props: JsonObject = {};
  if (r() < 0.9) props.price = Math.floor(r() * 5) + (r() < 0.1 ? 0.5 : 0);
  if (r() < 0.8) props.color = ["red", "green", "blue"][Math.floor(r() * 3)]!;
  if (r() < 0.05) props.price = "3";
  const userProps: JsonObject = r() < 0.1 ? { $set: { plan: r() < 0.5 ? "pro" : "free" } } : {};
  return ev(type, time, props, userProps);
}

function check(engine: ReturnType<typeof engineFor>, events: TailorEvent[], props: JsonObject, now: number, statics: Record<string, boolean>, context: string) {
  const ref = evaluateReference(set, events, props, now, statics);
  set.computations.forEach(({ id }, index) => {
    const actual = engine.value(index, now);
    const expected = ref.values[id];
    if (typeof actual === "number" && typeof expected === "number") expect(actual, `${context} ${id}`).toBeCloseTo(expected, 9);
    else expect(actual, `${context} ${id}`).toEqual(expected);
  });
  for (const { id } of set.cohorts) expect(engine.member(id), `${context} cohort ${id}`).toBe(ref.members[id]);
}

describe("incremental engine = reference recomputation over random event streams", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`seed ${seed}`, () => {
      const r = rng(seed);
      const engine = engineFor(set);
      const events: TailorEvent[] = [];
      const statics: Record<string, boolean> = {};
      let props: JsonObject = {};
      let now = T0;
      engine.evaluateAll(now, props); // a new profile starts evaluated
      for (let step = 0; step < 400; step++) {
        const next = engine.nextChangeAt(now);
        // Land exactly on, or just before, the next due change as often as in between:
        // an alarm set even 1 ms late (or early) fails one of these.
        const pick = r();
        if (next !== null && pick < 0.25) now = next;
        else if (next !== null && next - 1 > now && pick < 0.45) now = next - 1;
        else now += r() < 0.5 ? Math.floor(r() * 4) * MIN + MIN : Math.floor(r() * 4 * MIN) + 1;
        // Nothing due yet: the state must already be right without an alarm.
        if (next === null || next > now) check(engine, events, props, now, statics, `seed ${seed} step ${step} (no alarm due)`);
        else engine.tick(now, props); // the alarm
        const action = r();
        if (action < 0.7) {
          const batch = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomEvent(r, now));
          let changed = false;
          for (const e of batch) {
            if (Object.keys(e.user_properties).length > 0) {
              props = applyUserProperties(props, e.user_properties);
              changed = true;
            }
          }
          events.push(...batch);
          engine.ingest(batch, now, props, changed);
        } else if (action < 0.75) {
          const member = r() < 0.5;
          statics.uploaded = member;
          engine.setStatic("uploaded", member, now, props);
        }
        check(engine, events, props, now, statics, `seed ${seed} step ${step}`);
      }
    });
  }
});
