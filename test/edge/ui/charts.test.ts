import { describe, expect, it } from "vitest";
import { dailyChanges, distribution } from "../../../src/core/histogram";
import { barLayout, FRAME, hbarLayout, linear, linePath, niceMax, niceTicks, plotScales } from "../../../src/edge/ui/charts/geometry";
import { auc, rocCurve, scoreHistogram } from "../../../src/train/metrics";

describe("chart geometry", () => {
  it("scales, ticks and paths", () => {
    const s = linear([0, 10], [100, 200]);
    expect([s(0), s(5), s(10)]).toEqual([100, 150, 200]);
    expect(linear([3, 3], [0, 10])(3)).toBe(5);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 76, 4)).toEqual([0, 20, 40, 60]);
    expect(niceMax(76)).toBe(80);
    expect(niceMax(320)).toBe(400);
    expect(niceMax(0.3)).toBeCloseTo(0.3);
    expect(niceMax(0)).toBe(1);
    const { x, y } = plotScales(FRAME, [0, 1], [0, 1]);
    expect(
      linePath(
        [
          [0, 0],
          [1, 1],
        ],
        x,
        y,
      ),
    ).toBe(`M${FRAME.margin.left},${FRAME.height - FRAME.margin.bottom}L${FRAME.width - FRAME.margin.right},${FRAME.margin.top}`);
  });

  it("bars share the plot width and hang below zero when negative", () => {
    const { bars, domain } = barLayout([2, -1, 0], FRAME, 0);
    expect(domain).toEqual([-1, 2]);
    const plot = FRAME.width - FRAME.margin.left - FRAME.margin.right;
    expect(bars.map((b) => b.width)).toEqual([1, 1, 1].map(() => Math.round((plot / 3) * 10) / 10));
    expect(bars[1]!.negative).toBe(true);
    expect(bars[0]!.y + bars[0]!.height).toBeCloseTo(bars[1]!.y, 0); // both meet at zero
    expect(bars[2]!.height).toBe(0);
    const h = hbarLayout([2, -1], 300, 100, 20);
    expect(h.bars[0]!.x).toBe(h.zero);
    expect(h.bars[1]!.x + h.bars[1]!.width).toBeCloseTo(h.zero, 0);
  });
});

describe("distributions", () => {
  it("numeric values in equal bins, others by frequency", () => {
    const d = distribution([0, 1, 2, 3, 4, null, 10], 5);
    expect(d).toMatchObject({ kind: "numeric", count: 6, missing: 1, min: 0, max: 10 });
    expect(d.kind === "numeric" && d.bins.map((b) => b.count)).toEqual([2, 2, 1, 0, 1]);
    expect(distribution([5, 5])).toMatchObject({ kind: "numeric", bins: [{ from: 5, to: 5, count: 2 }] });
    expect(d).toMatchObject({ scale: "linear" });
  });

  it("skewed values (most small, a few large) in log-spaced bins, zeros apart, so the spread shows", () => {
    // 190 of 200 customers spent under 500, ten spent up to 50,000: equal widths put ~190 in the first bar.
    const spend = [...Array.from({ length: 190 }, (_, i) => (i % 19) * 25), ...Array.from({ length: 10 }, (_, i) => 5_000 * (i + 1))];
    const d = distribution(spend, 12);
    if (d.kind !== "numeric") throw new Error("numeric expected");
    expect(d.scale).toBe("log");
    expect(d.bins.reduce((s, b) => s + b.count, 0)).toBe(200);
    expect(d.bins[0]).toEqual({ from: 0, to: 0, count: 10 }); // the zeros
    expect(Math.max(...d.bins.map((b) => b.count))).toBeLessThan(100); // no bar holds most of them
    expect(d.bins.at(-1)!.to).toBe(50_000);
    // Every value in the bin that claims it.
    for (const x of spend.filter((x) => x > 0)) expect(d.bins.some((b) => b.from <= x && x <= b.to + 1e-9 && b.count > 0)).toBe(true);
    expect(distribution(["a", "b", "a", ["a", "c"]], 5, 2)).toEqual({
      kind: "categorical",
      count: 4,
      missing: 0,
      top: [
        { value: "a", count: 3 },
        { value: "b", count: 1 },
      ],
      other: 1,
    });
    expect(distribution([null, undefined])).toEqual({ kind: "empty", count: 0, missing: 2 });
  });

  it("daily membership changes, zero-filled", () => {
    const DAY = 86_400_000;
    const now = 100 * DAY + 5;
    const series = dailyChanges(
      [
        { day: 100, in_cohort: 1, n: 3 },
        { day: 99, in_cohort: false, n: 2 },
        { day: 50, in_cohort: true, n: 9 },
      ],
      now,
      3,
    );
    expect(series).toEqual([
      { day: 98 * DAY, entered: 0, exited: 0 },
      { day: 99 * DAY, entered: 0, exited: 2 },
      { day: 100 * DAY, entered: 3, exited: 0 },
    ]);
  });
});

describe("stored model metrics for the charts", () => {
  it("the ROC curve runs from (0,0) to (1,1), and its area is the AUC", () => {
    const scores = [0.9, 0.8, 0.7, 0.7, 0.4, 0.3, 0.2, 0.1];
    const labels = [1, 1, 0, 1, 0, 1, 0, 0];
    const roc = rocCurve(scores, labels);
    expect(roc[0]).toEqual([0, 0]);
    expect(roc.at(-1)).toEqual([1, 1]);
    const area = roc.slice(1).reduce((s, [x, y], i) => s + (x - roc[i]![0]) * ((y + roc[i]![1]) / 2), 0);
    expect(area).toBeCloseTo(auc(scores, labels), 10);
    const many = rocCurve(
      Array.from({ length: 1000 }, (_, i) => i / 1000),
      Array.from({ length: 1000 }, (_, i) => i % 2),
      50,
    );
    expect(many).toHaveLength(51);
    expect(rocCurve([0.5, 0.6], [1, 1])).toEqual([]);
  });

  it("score histogram counts every score once", () => {
    const bins = scoreHistogram([0, 0.05, 0.5, 0.99, 1], [0, 1, 1, 0, 1], 10);
    expect(bins).toHaveLength(10);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(5);
    expect(bins[0]).toEqual({ from: 0, to: 0.1, count: 2, positives: 1 });
    expect(bins[9]).toMatchObject({ count: 2, positives: 1 });
  });
});

describe("score distributions", () => {
  it("put scores in ten bins from 0 to 1 whatever their spread; unscored users are missing", async () => {
    const { scoreDistribution } = await import("../../../src/core/histogram");
    const d = scoreDistribution([0.05, 0.15, 0.12, 0.99, 1, null]);
    if (d.kind !== "numeric") throw new Error("numeric expected");
    expect(d.bins.map((b) => b.count)).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(d).toMatchObject({ count: 5, missing: 1, min: 0.05, max: 1 });
    expect(scoreDistribution([null, null])).toEqual({ kind: "empty", count: 0, missing: 2 });
  });
});
