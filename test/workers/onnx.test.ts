import { describe, expect, it } from "vitest";
import { LatestPerOwner } from "../../src/core/isolate-cache";
import { createSession, rankItems, scoreRows } from "../../src/serving/ort";
import { predictGbdt } from "../../src/train/model/gbdt";
import { logisticOnnx } from "../../src/train/onnx/logistic";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { treesOnnx } from "../../src/train/onnx/trees";

// Real onnxruntime-web (WASM) inside workerd, on a model written by the trainer's exporter.
describe("onnxruntime-web in workerd", () => {
  it("scores a logistic model exactly as the formula", async () => {
    const weights = [0.8, -0.3, 1.5];
    const bias = -1;
    const session = await createSession(logisticOnnx({ weights, bias, featureNames: ["a", "b", "c"] }));
    const rows = [
      [1, 2, 3],
      [0, 0, 0],
      [-2, 5, 0.25],
    ];
    const scores = await scoreRows(session, rows);
    rows.forEach((r, i) => {
      const z = r.reduce((s, x, j) => s + x * weights[j]!, bias);
      expect(scores[i]).toBeCloseTo(1 / (1 + Math.exp(-z)), 6);
    });
  });

  it("a retired session is released (as the model cache does after a retrain) and later sessions still score", async () => {
    const bytes = (w: number) => logisticOnnx({ weights: [w], bias: 0, featureNames: ["a"] });
    const cache = new LatestPerOwner<Awaited<ReturnType<typeof createSession>>>("test-sessions", (s) => s.release(), { graceMs: 0 });
    const v1 = await cache.get("prd_x", "mdl_1", () => createSession(bytes(1)));
    expect((await scoreRows(v1, [[1]]))[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    const v2 = await cache.get("prd_x", "mdl_2", () => createSession(bytes(2)));
    await cache.get("prd_x", "mdl_2", () => createSession(bytes(9))); // disposes of v1 (grace 0)
    await new Promise((r) => setTimeout(r, 10));
    expect(cache.size).toEqual({ held: 1, retiring: 0 });
    await expect(scoreRows(v1, [[1]])).rejects.toThrow();
    expect((await scoreRows(v2, [[1]]))[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
  });
});

describe("boosted trees in workerd", () => {
  it("runs ai.onnx.ml's TreeEnsembleRegressor as the trainer's trees decide", async () => {
    // Two stumps: x0 <= 1 → -1 else +1; x1 <= 0.5 → 0.25 else -0.5; base 0.1.
    const stump = (threshold: number, left: number, right: number) => ({
      feature: [0, -1, -1],
      threshold: [threshold, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, left, right],
    });
    const model = { base: 0.1, gain: [1, 1], trees: [stump(1, -1, 1), { ...stump(0.5, 0.25, -0.5), feature: [1, -1, -1] }] };
    const session = await createSession(treesOnnx(model, ["a", "b"]));
    const rows = [
      [0, 0],
      [1, 0.5],
      [2, 0.75],
      [1.0001, 0.4],
    ];
    const scores = await scoreRows(session, rows);
    rows.forEach((r, i) => {
      expect(scores[i]).toBeCloseTo(predictGbdt(model, r), 6);
    });
    expect(scores[2]).toBeCloseTo(1 / (1 + Math.exp(-(0.1 + 1 - 0.5))), 6);
  });
});

describe("a recommender with item neighbours in workerd", () => {
  it("adds the neighbours' similarities with ScatterElements(reduction add) at opset 18", async () => {
    // Three items, no embedding signal: item 0's neighbours are 2 (0.9) and 1 (0.1).
    const knn = { k: 2, index: [2, 1, 0, 2, 0, 1], sim: [0.9, 0.1, 0.5, 0.4, 0.3, 0.2], weight: 2 };
    const session = await createSession(recommenderOnnx({ embeddings: [0, 0, 0], rank: 1, bias: [0, 0, 0], knn }));
    const ranked = await rankItems(session, [0], [1], new Uint8Array(3), 3);
    expect(Array.from(ranked.indices, Number)).toEqual([2, 1, 0]);
    expect(Array.from(ranked.scores)).toEqual([Math.fround(1.8), Math.fround(0.2), 0]);
  });
});
