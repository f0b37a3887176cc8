import type { CompiledPrediction } from "../core/segments/compile";
import { LatestPerOwner } from "../core/isolate-cache";
import { createSession, type Session } from "./ort";

/**
 * Model sessions per isolate, one per prediction (its active version): the bytes are
 * read from R2 once, then every profile in the isolate scores with the same session; a
 * retrained version retires the old session (so does half an hour unused, e.g. a deleted
 * prediction's), released after a grace period.
 */
const sessions = new LatestPerOwner<Session>("model-sessions", (session) => session.release());

export function modelSession(env: Pick<Env, "ARCHIVE">, prediction: CompiledPrediction): Promise<Session> {
  const { id, r2Key } = prediction.model;
  return sessions.get(prediction.id, id, async () => {
    const object = await env.ARCHIVE.get(`${r2Key}.onnx`);
    if (object === null) throw new Error(`model ${id} is missing from R2 (${r2Key}.onnx)`);
    return createSession(new Uint8Array(await object.arrayBuffer()));
  });
}
