import { describe, expect, it } from "vitest";
import type { TailorEvent } from "../../src/core/event";
import { listNdcg, predictionWindow, recommendationWindow, recordEvents, resolveWindow } from "../../src/core/served-outcomes";
import { predictionQuality, recommendationQuality, SCORE_BINS, type ScoreBinRow } from "../../src/core/served-quality";
import { atTop, auc, calibration, logLoss } from "../../src/train/metrics";

const DAY = 86_400_000;
const event = (event_type: string, time: number, event_properties: Record<string, string> = {}): TailorEvent => ({
  uuid: `${event_type}-${time}`,
  event_type,
  time,
  received_at: time,
  event_properties,
  user_properties: {},
});

/** What D1's GROUP BY answers for these resolved prediction windows. */
function bins(scores: number[], labels: number[]): ScoreBinRow[] {
  const out = new Map<number, ScoreBinRow>();
  scores.forEach((s, i) => {
    const o = resolveWindow({ ...predictionWindow("p", "m", s, 30, 0), reached: labels[i] === 1 });
    const bin = Math.floor(Math.min(s, 0.999999) * SCORE_BINS);
    const row = out.get(bin) ?? { bin, n: 0, positives: 0, sum_score: 0, sum_loss: 0 };
    row.n++;
    row.positives += o.outcome;
    row.sum_score += s;
    row.sum_loss += o.loss!;
    out.set(bin, row);
  });
  return [...out.values()];
}

describe("served prediction quality from score bins", () => {
  // A seeded draw: outcomes follow the scores loosely, so every metric is informative.
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const scores = Array.from({ length: 5_000 }, () => rand() ** 2);
  const labels: number[] = scores.map((s) => (rand() < 0.1 + 0.7 * s ? 1 : 0));

  it("matches the exact metrics the trainer and the evaluation compute", () => {
    const q = predictionQuality(bins(scores, labels))!;
    expect(q.users).toBe(scores.length);
    expect(q.positive_rate).toBeCloseTo(labels.reduce((s, l) => s + l, 0) / labels.length, 12);
    expect(q.log_loss).toBeCloseTo(logLoss(scores, labels), 9);
    expect(q.auc!).toBeCloseTo(auc(scores, labels), 3);
    expect(q.precision_at_10pct).toBeCloseTo(atTop(scores, labels, 0.1).precision, 2);
    const exact = calibration(scores, labels);
    expect(q.calibration.map((d) => d.count)).toEqual(exact.map((d) => d.count));
    q.calibration.forEach((d, i) => {
      expect(d.predicted).toBeCloseTo(exact[i]!.predicted, 2);
      expect(d.actual).toBeCloseTo(exact[i]!.actual, 1);
    });
  });

  it("has no AUC with one class only, and nothing without windows", () => {
    expect(predictionQuality(bins([0.2, 0.4], [0, 0]))!.auc).toBeNull();
    expect(predictionQuality([])).toBeNull();
  });
});

describe("served windows", () => {
  const goal = { goal: { type: "Order Completed", filters: [] } };

  it("count a goal strictly after the window opened, up to and including its end", () => {
    const at = (t: number) => {
      const w = predictionWindow("p", "m", 0.3, 7, 1_000);
      recordEvents(w, goal, [event("Order Completed", t)], () => false);
      return resolveWindow(w).outcome;
    };
    expect([at(1_000), at(1_001), at(1_000 + 7 * DAY), at(1_001 + 7 * DAY)]).toEqual([0, 1, 1, 0]);
    expect(resolveWindow(predictionWindow("p", "m", 0.3, 7, 0)).loss).toBeCloseTo(-Math.log(0.7), 12);
  });

  it("judge a list by the relevant items taken: listed ones always, others only when new to the user", () => {
    const recGoal = { goal: { type: "Bought", filters: [] }, itemProperty: "sku", newItemsOnly: true };
    const w = recommendationWindow("r", "m", ["x", "y", "z"], "model", 0);
    const had = new Set(["old"]);
    recordEvents(
      w,
      recGoal,
      ["z", "old", "new", "z"].map((sku, i) => event("Bought", 10 + i, { sku })),
      (item) => had.has(item),
    );
    const o = resolveWindow(w);
    expect(o).toMatchObject({ outcome: 1, relevant: 2 });
    expect(o.ndcg).toBeCloseTo(1 / Math.log2(4) / (1 + 1 / Math.log2(3)), 12);
    expect(listNdcg([0, 1], 2, 3)).toBe(1);
  });

  it("report hit rate and NDCG over the lists whose users took something relevant", () => {
    const q = recommendationQuality([
      { source: "model", windows: 10, relevant_windows: 4, hits: 2, sum_ndcg: 1 },
      { source: "control", windows: 5, relevant_windows: 2, hits: 0, sum_ndcg: 0 },
    ])!;
    expect(q.all).toEqual({ lists: 15, users: 6, hit_rate: 2 / 6, ndcg: 1 / 6 });
    expect(q.by_source.control).toEqual({ lists: 5, users: 2, hit_rate: 0, ndcg: 0 });
  });
});
