// The bench/score Worker: onnxruntime-web scoring inside workerd (the same module the
// profile uses) next to a hand-written dot product for the same logistic model.
import { createSession, scoreRows, type Session } from "../../src/serving/ort";
import { logisticOnnx } from "../../src/train/onnx/logistic";

const FEATURES = 15;
const weights = Array.from({ length: FEATURES }, (_, i) => ((i % 5) - 2) / 10);
const bias = -0.5;
const model = logisticOnnx({ weights, bias, featureNames: weights.map((_, i) => `f${i}`) });
let session: Session | undefined;

function row(i: number): number[] {
  return weights.map((_, j) => ((i * 31 + j * 7) % 13) / 4);
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1");
    if (url.pathname === "/init") {
      session ??= await createSession(model);
      return Response.json({ ok: true });
    }
    if (url.pathname === "/session") {
      // Another model's session once the runtime is up (what a new model version costs).
      for (let i = 0; i < n; i++) await createSession(model);
      return Response.json({ ok: true });
    }
    if (url.pathname === "/ort") {
      session ??= await createSession(model);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (await scoreRows(session, [row(i)]))[0]!;
      return Response.json({ sum });
    }
    if (url.pathname === "/js") {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = row(i);
        let z = bias;
        for (let j = 0; j < FEATURES; j++) z += weights[j]! * x[j]!;
        sum += 1 / (1 + Math.exp(-z));
      }
      return Response.json({ sum });
    }
    return new Response("ok");
  },
} satisfies ExportedHandler;
