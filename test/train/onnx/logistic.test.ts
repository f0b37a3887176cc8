import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { logisticOnnx } from "../../../src/train/onnx/logistic";

// The exported model scored by onnxruntime-web (WASM, in Node) must equal the
// trainer's own arithmetic.
describe("logistic regression as ONNX", () => {
  it("scores like sigmoid(x·w + b) in onnxruntime-web", async () => {
    ort.env.wasm.numThreads = 1;
    const weights = [0.5, -1.25, 2, 0.001];
    const bias = -0.3;
    const bytes = logisticOnnx({ weights, bias, featureNames: ["a", "b", "c", "d"], metadata: { prediction: "p1" } });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["features"]);
    expect(session.outputNames).toEqual(["probability"]);
    const rows = [
      [1, 2, 3, 4],
      [0, 0, 0, 0],
      [-3, 0.5, 10, 1000],
    ];
    const input = new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, 4]);
    const out = await session.run({ features: input });
    const got = Array.from(out.probability!.data as Float32Array);
    const expected = rows.map((r) => 1 / (1 + Math.exp(-(r.reduce((s, x, i) => s + x * weights[i]!, 0) + bias))));
    got.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i]!, 6);
    });
  });
});
