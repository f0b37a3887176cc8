import { describe, expect, it } from "vitest";
import { defaultFeatures, featureNames, featureVector } from "../../src/core/features";
import { SnapshotBuilder } from "../../src/train/snapshots";
import { trainPrediction } from "../../src/train/train-prediction";
import { definitions as definitions_, ev, rng } from "../core/segments/helpers";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const goal = { type: "Order Completed", filters: [] };
const spec = defaultFeatures(goal, "revenue", ["Viewed"]);
const index = (name: string) => spec.features.findIndex((f) => f.name === name);

describe("SnapshotBuilder", () => {
  it("features as of the cutoff only; label = goal within (T, T + horizon]", () => {
    const b = new SnapshotBuilder(spec, goal, 10 * DAY, [T0 + 20 * DAY]);
    const user = (id: string, type: string, day: number, revenue = 0) => ({ ...ev(type, T0 + day * DAY, { revenue }), user_id: id });
    b.add([
      user("a", "Order Completed", 1, 10),
      user("a", "Order Completed", 5, 30),
      user("b", "Viewed", 2),
      user("a", "Order Completed", 25, 99), // inside the horizon: a's label
      user("b", "Order Completed", 31, 5), // after T + horizon: not b's label
      user("c", "Viewed", 22), // first seen after the cutoff: no row
    ]);
    const rows = b.finish();
    expect(rows.map((r) => [r.userId, r.label])).toEqual([
      ["a", 1],
      ["b", 0],
    ]);
    const a = rows[0]!.x;
    expect(a[index("goal_count")]).toBeCloseTo(Math.log1p(2), 12); // the day-25 order is not a feature
    expect(a[index("goal_value")]).toBeCloseTo(Math.log1p(40), 12);
    expect(a[index("days_since_last_goal")]).toBeCloseTo(15, 12);
    expect(a[index("days_since_first_event")]).toBeCloseTo(19, 12);
    expect(rows[1]!.x[index("days_since_last_goal")]).toBe(3650); // never ordered
  });

  it("device-only events count for the user the device was seen with", () => {
    const b = new SnapshotBuilder(spec, goal, 10 * DAY, [T0 + 20 * DAY]);
    const e1 = { ...ev("Viewed", T0 + DAY), user_id: undefined, device_id: "dev-1" };
    const e2 = { ...ev("Viewed", T0 + 2 * DAY), user_id: "u1", device_id: "dev-1" };
    const e3 = { ...ev("Order Completed", T0 + 25 * DAY), user_id: undefined, device_id: "dev-1" };
    b.add([e1, e2, e3]);
    const rows = b.finish();
    expect(rows.find((r) => r.userId === "u1")?.label).toBe(1);
  });
});

describe("population", () => {
  it("only members of the population cohort at the cutoff become rows", () => {
    const definitions = definitions_({
      cohorts: { uk: { type: "behavioral", match: { user_property: { property: "country", op: "eq", value: "UK" } } } },
    });
    const b = new SnapshotBuilder(spec, goal, 10 * DAY, [T0 + 20 * DAY], { cohortId: "uk", definitions });
    b.add([
      { ...ev("Viewed", T0 + DAY, {}, { $set: { country: "UK" } }), user_id: "in" },
      { ...ev("Viewed", T0 + DAY, {}, { $set: { country: "FR" } }), user_id: "out" },
      { ...ev("Viewed", T0 + 2 * DAY, {}, { $set: { country: "UK" } }), user_id: "moved" },
      { ...ev("Viewed", T0 + 3 * DAY, {}, { $set: { country: "FR" } }), user_id: "moved" },
    ]);
    expect(b.finish().map((r) => r.userId)).toEqual(["in"]);
  });
});

describe("trainPrediction", () => {
  it("learns a frequency signal and beats chance on a later holdout, without using holdout rows to train", () => {
    const r = rng(7);
    const cutoffs = [T0 + 60 * DAY, T0 + 90 * DAY, T0 + 120 * DAY];
    const b = new SnapshotBuilder(spec, goal, 30 * DAY, cutoffs);
    const events = [];
    for (let u = 0; u < 300; u++) {
      const rate = r() < 0.5 ? 0.02 : 0.15; // orders per day: two kinds of customer
      for (let d = 0; d < 150; d++) if (r() < rate) events.push({ ...ev("Order Completed", T0 + d * DAY + u, { revenue: 10 }), user_id: `u${u}` });
    }
    b.add(events.sort((x, y) => x.time - y.time));
    const result = trainPrediction(spec, b.finish(), T0 + 120 * DAY);
    expect(result.holdoutCutoff).toBe(T0 + 120 * DAY);
    expect(result.trainCutoffs).toEqual([T0 + 60 * DAY, T0 + 90 * DAY]);
    expect(result.holdout.model.auc).toBeGreaterThan(0.75);
    expect(result.quantiles).toHaveLength(101);
  });
});

describe("featureVector", () => {
  const now = T0 + 10 * DAY;
  const vector = (named: Record<string, number | null>) => {
    const v = featureVector(
      spec,
      spec.features.map((f) => (f.name in named ? named[f.name]! : 0)),
      now,
    );
    expect(v).toHaveLength(featureNames(spec).length);
    return (name: string) => v[featureNames(spec).indexOf(name)]!;
  };

  it("applies each transform and the missing value", () => {
    const at = vector({ days_since_last_event: 2 * DAY, days_since_first_event: T0, days_since_last_goal: null, goal_count: 3, goal_value: -5 });
    expect([at("days_since_last_event"), at("days_since_first_event"), at("days_since_last_goal"), at("goal_count")]).toEqual([2, 10, 3650, Math.log1p(3)]);
    expect(at("goal_value")).toBeCloseTo(-Math.log1p(5), 12);
  });

  it("derives the days between goals, how overdue the next one is and the recent share", () => {
    // First order 10 days ago, last 2 days ago, 5 orders (3 in the last 90 days): 2 days apart, 1× overdue.
    const at = vector({ days_since_first_goal: now - 10 * DAY, days_since_last_goal: 2 * DAY, goal_count: 5, goal_count_90d: 3 });
    expect(at("days_between_goals")).toBeCloseTo(Math.log1p(2), 12);
    expect(at("goal_overdue")).toBeCloseTo(Math.log1p(1), 12);
    expect(at("goal_recent_share")).toBeCloseTo(0.6, 12);
    // One order: no interval, so neither it nor overdue-ness is known.
    const once = vector({ days_since_first_goal: now - 4 * DAY, days_since_last_goal: 4 * DAY, goal_count: 1, goal_count_90d: 1 });
    expect([once("days_between_goals"), once("goal_overdue")]).toEqual([Math.log1p(365), Math.log1p(10)]);
  });
});
