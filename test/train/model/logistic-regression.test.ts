import { describe, expect, it } from "vitest";
import { atTop, auc, calibration, logLoss, quantiles } from "../../../src/train/metrics";
import { fitLogistic, predict } from "../../../src/train/model/logistic-regression";
import { rng } from "../../core/segments/helpers";

describe("metrics", () => {
  it("AUC: perfect, reversed, ties and chance", () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auc([1, 2, 3], [0, 1, 1])).toBe(1);
    expect(auc([3, 2, 1], [0, 1, 1])).toBe(0);
    expect(auc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
  });

  it("log loss, calibration deciles, precision/recall at the top, quantiles", () => {
    expect(logLoss([0.5, 0.5], [0, 1])).toBeCloseTo(Math.log(2), 12);
    const p = Array.from({ length: 100 }, (_, i) => i / 100);
    const y = p.map((v) => (v >= 0.5 ? 1 : 0));
    const bins = calibration(p, y);
    expect(bins).toHaveLength(10);
    expect(bins[0]).toMatchObject({ decile: 1, count: 10, actual: 0 });
    expect(bins[9]).toMatchObject({ decile: 10, count: 10, actual: 1 });
    expect(atTop(p, y, 0.1)).toEqual({ precision: 1, recall: 0.2 });
    const q = quantiles(p);
    expect(q).toHaveLength(101);
    expect(q[0]).toBe(0);
    expect(q[100]).toBe(0.99);
  });
});

describe("fitLogistic", () => {
  it("recovers known coefficients on simulated data, on raw (unstandardised) features", () => {
    const r = rng(42);
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const a = r() * 10;
      const b = r() * 2 - 1;
      x.push([a, b]);
      const p = 1 / (1 + Math.exp(-(0.4 * a - 2 * b - 2)));
      y.push(r() < p ? 1 : 0);
    }
    const model = fitLogistic(x, y, { l2: 0.01 });
    expect(model.weights[0]).toBeCloseTo(0.4, 1);
    expect(model.weights[1]).toBeCloseTo(-2, 0);
    expect(model.bias).toBeCloseTo(-2, 0);
    expect(
      auc(
        x.map((row) => predict(model, row)),
        y,
      ),
    ).toBeGreaterThan(0.8);
  });

  it("regularisation shrinks weights", () => {
    const x = [[0], [1], [2], [3]];
    const y = [0, 0, 1, 1];
    expect(Math.abs(fitLogistic(x, y, { l2: 100 }).weights[0]!)).toBeLessThan(Math.abs(fitLogistic(x, y, { l2: 0.1 }).weights[0]!));
  });
});
