import { describe, expect, it } from "vitest";
import { createSession, scoreRows } from "../../src/durable/scoring/ort";
import { logisticOnnx } from "../../src/train/onnx/logistic";

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
});
