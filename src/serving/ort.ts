import * as ort from "onnxruntime-web/wasm";
import { PREDICTION_TENSORS, RECOMMENDER_TENSORS } from "../core/model-contract";
// wrangler compiles .wasm imports ahead of time (CompiledWasm): workerd forbids
// compiling WebAssembly from bytes at run time, and ORT has no hook to take a Module.
import ortWasm from "../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm";

/**
 * onnxruntime-web inside workerd. ORT insists on instantiating its runtime from bytes;
 * we hand it a sentinel as `wasmBinary` and answer that sentinel's instantiation with
 * the precompiled module. Initialisation happens once per isolate (and a failure sticks,
 * so it is surfaced, not retried).
 */
const SENTINEL = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x54, 0x41, 0x49, 0x4c]); // "\0asm" v1 + "TAIL"

function isSentinel(source: unknown): boolean {
  const bytes = source instanceof Uint8Array ? source : source instanceof ArrayBuffer ? new Uint8Array(source) : null;
  return bytes !== null && bytes.byteLength === SENTINEL.byteLength && bytes.every((b, i) => b === SENTINEL[i]);
}

let patched = false;
function prepare(): void {
  if (patched) return;
  patched = true;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (source: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  (WebAssembly as { instantiate: unknown }).instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (!isSentinel(source)) return instantiate(source, imports);
    const instance = (await instantiate(ortWasm, imports)) as WebAssembly.Instance;
    return { instance, module: ortWasm };
  };
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmBinary = SENTINEL;
}

export type Session = ort.InferenceSession;

export async function createSession(model: Uint8Array): Promise<Session> {
  prepare();
  const session = await ort.InferenceSession.create(model);
  checkTensors(session);
  return session;
}

/** A model is one of the two kinds the trainer exports (core/model-contract.ts), or refused with what it has. */
function checkTensors(session: Session): void {
  const has = (names: readonly string[], wanted: readonly string[]) => wanted.every((n) => names.includes(n));
  const prediction = has(session.inputNames, [PREDICTION_TENSORS.input]) && has(session.outputNames, [PREDICTION_TENSORS.output]);
  const recommender = has(session.inputNames, RECOMMENDER_TENSORS.inputs) && has(session.outputNames, RECOMMENDER_TENSORS.outputs);
  if (!prediction && !recommender) {
    session.release().catch(() => {});
    throw new Error(
      `model tensors (inputs ${session.inputNames.join(", ")}; outputs ${session.outputNames.join(", ")}) match neither a prediction (${PREDICTION_TENSORS.input} → ${PREDICTION_TENSORS.output}) nor a recommender (${RECOMMENDER_TENSORS.inputs.join(", ")} → ${RECOMMENDER_TENSORS.outputs.join(", ")})`,
    );
  }
}

/** Scores rows of features with a prediction model (PREDICTION_TENSORS: `features` [N, F] → `probability`). */
export async function scoreRows(session: Session, rows: readonly (readonly number[])[]): Promise<number[]> {
  const width = rows[0]?.length ?? 0;
  const input = new ort.Tensor("float32", Float32Array.from(rows.flat()), [rows.length, width]);
  const out = await session.run({ [PREDICTION_TENSORS.input]: input });
  return Array.from(out[PREDICTION_TENSORS.output]!.data as Float32Array);
}

/**
 * Ranks items with an embedding recommender (see src/train/onnx/recommender.ts): the
 * profile's item indices (weight 1 each) and how often it took each (read by models with
 * a repeat component), a mask of items never to show, the top `k`.
 */
export async function rankItems(
  session: Session,
  items: readonly number[],
  counts: readonly number[],
  hidden: Uint8Array,
  k: number,
): Promise<{ indices: BigInt64Array; scores: Float32Array }> {
  const mask = new Float32Array(hidden.length);
  for (let i = 0; i < hidden.length; i++) if (hidden[i] === 1) mask[i] = -Infinity;
  const feeds: Record<string, ort.Tensor> = {
    items: new ort.Tensor("int64", BigInt64Array.from(items, BigInt), [items.length]),
    weights: new ort.Tensor("float32", new Float32Array(items.length).fill(1), [1, items.length]),
    mask: new ort.Tensor("float32", mask, [1, hidden.length]),
    k: new ort.Tensor("int64", BigInt64Array.of(BigInt(Math.min(k, hidden.length))), [1]),
  };
  // Models without a repeat component have no such input (ORT refuses unknown ones).
  if (session.inputNames.includes("counts")) feeds.counts = new ort.Tensor("float32", Float32Array.from(counts), [1, items.length]);
  const out = await session.run(feeds);
  return { indices: out.indices!.data as BigInt64Array, scores: out.scores!.data as Float32Array };
}
