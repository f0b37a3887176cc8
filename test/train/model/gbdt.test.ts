import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../../src/core/hash";
import { auc, logLoss } from "../../../src/train/metrics";
import { fitGbdt, predictGbdt } from "../../../src/train/model/gbdt";
import { calibrated, fitWith, predictWith } from "../../../src/train/model/learners";
import { fitLogistic, predict } from "../../../src/train/model/logistic-regression";
import { treesOnnx } from "../../../src/train/onnx/trees";

/** A label that depends on an interaction and a threshold: what a linear model cannot express. */
function data(n: number, seed: number) {
  const draw = mulberry32(seed);
  const u = () => draw() / 2 ** 32;
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = [u() * 10, u() * 10, u()];
    const p = row[0]! > 5 !== row[1]! > 5 ? 0.8 : 0.15;
    x.push(row);
    y.push(u() < p ? 1 : 0);
  }
  return { x, y };
}

describe("gradient-boosted trees", () => {
  const train = data(4000, 1);
  const test = data(2000, 2);
  const model = fitGbdt(train.x, train.y, { trees: 60, depth: 3, learningRate: 0.2, minLeaf: 20 });

  it("learns what a logistic regression cannot, and stays calibrated", () => {
    const p = test.x.map((r) => predictGbdt(model, r));
    const lr = fitLogistic(train.x, train.y);
    const q = test.x.map((r) => predict(lr, r));
    expect(auc(p, test.y)).toBeGreaterThan(0.75);
    expect(auc(p, test.y)).toBeGreaterThan(auc(q, test.y) + 0.15);
    expect(logLoss(p, test.y)).toBeLessThan(logLoss(q, test.y));
    const mean = p.reduce((a, b) => a + b, 0) / p.length;
    expect(Math.abs(mean - test.y.reduce((a, b) => a + b, 0) / test.y.length)).toBeLessThan(0.03);
    // The noise feature earns (almost) nothing.
    expect(model.gain[2]!).toBeLessThan(0.05 * (model.gain[0]! + model.gain[1]!));
  });

  it("exports to ONNX (ai.onnx.ml TreeEnsembleRegressor) that onnxruntime-web scores exactly as the trainer", async () => {
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(treesOnnx(model, ["a", "b", "noise"]));
    const rows = test.x.slice(0, 500);
    const out = await session.run({ features: new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 3]) });
    const got = out.probability!.data as Float32Array;
    const worst = rows.reduce((m, r, i) => Math.max(m, Math.abs(got[i]! - predictGbdt(model, r))), 0);
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("calibration on the latest window", () => {
  it("Platt scaling folded into the model moves its mean prediction to the recent rate, ranking unchanged", () => {
    const old = data(3000, 3);
    const recent = data(1000, 4);
    // The recent window buys more: every label has a second chance.
    const draw = mulberry32(9);
    const y: number[] = recent.y.map((v) => (v === 1 || draw() / 2 ** 32 < 0.3 ? 1 : 0));
    for (const learner of [{ kind: "logistic", l2: 1 } as const, { kind: "gbdt", trees: 30, depth: 2, learningRate: 0.2, minLeaf: 20 } as const]) {
      const m = fitWith(learner, old.x, old.y);
      const c = calibrated(m, recent.x, y);
      const mean = (f: (r: number[]) => number) => recent.x.reduce((s, r) => s + f(r), 0) / recent.x.length;
      const rate = y.reduce((a, b) => a + b, 0) / y.length;
      expect(Math.abs(mean((r) => predictWith(c, r)) - rate)).toBeLessThan(0.01);
      expect(Math.abs(mean((r) => predictWith(m, r)) - rate)).toBeGreaterThan(0.1);
      expect(
        auc(
          recent.x.map((r) => predictWith(c, r)),
          y,
        ),
      ).toBeCloseTo(
        auc(
          recent.x.map((r) => predictWith(m, r)),
          y,
        ),
        9,
      );
    }
  });
});

describe("stochastic boosting past maxRowsPerTree", () => {
  it("grows each tree on a fresh sample and learns the same signal", () => {
    const train = data(4000, 5);
    const test = data(2000, 6);
    const sampled = fitGbdt(train.x, train.y, { trees: 60, depth: 3, learningRate: 0.2, minLeaf: 20, maxRowsPerTree: 1000 });
    expect(
      auc(
        test.x.map((r) => predictGbdt(sampled, r)),
        test.y,
      ),
    ).toBeGreaterThan(0.75);
  });
});
