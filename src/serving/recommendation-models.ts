import type { CompiledRecommendation } from "../core/segments/compile";
import { recommendationMetadataSchema } from "../core/model-contract";
import { catalogOf, staticExclusions, type Catalog } from "../core/recommendations/select";
import { LatestPerOwner } from "../core/isolate-cache";
import { createSession, type Session } from "./ort";

/** A published recommendation model as served: its ONNX session and its item index. */
export interface RecBundle {
  /** Created on first use: popular-only answers (cold visitors, control) never need one. */
  session: () => Promise<Session>;
  /** Frees the session's WebAssembly memory (when one was created). */
  release: () => Promise<void>;
  catalog: Catalog;
  /** Static exclusion masks per recommendation definition (they change only with the definition). */
  masks: Map<string, Uint8Array>;
}

/**
 * Bundles per isolate, one per recommendation (its active version): R2 is read once,
 * every profile shares them; a retrained version (or half an hour unused) retires the old
 * bundle's session.
 */
const bundles = new LatestPerOwner<RecBundle>("recommendation-models", (bundle) => bundle.release());

export function recBundle(env: Pick<Env, "ARCHIVE">, recId: string, model: NonNullable<CompiledRecommendation["model"]>): Promise<RecBundle> {
  return bundles.get(recId, model.id, async () => {
    const [onnx, meta] = await Promise.all([env.ARCHIVE.get(`${model.r2Key}.onnx`), env.ARCHIVE.get(`${model.r2Key}.json`)]);
    if (onnx === null || meta === null) throw new Error(`model ${model.id} is missing from R2 (${model.r2Key})`);
    const { items, popular } = recommendationMetadataSchema.parse(await meta.json());
    const bytes = new Uint8Array(await onnx.arrayBuffer());
    let session: Promise<Session> | undefined;
    return {
      session: () => (session ??= createSession(bytes)),
      release: async () => void (await (await session)?.release()),
      catalog: catalogOf(items, popular),
      masks: new Map(),
    };
  });
}

/** The definition's static mask over this model's items, computed once per definition. */
export function staticMask(bundle: RecBundle, rec: CompiledRecommendation): Uint8Array {
  const key = `${rec.id}\u0000${JSON.stringify(rec.definition.exclude)}`;
  let mask = bundle.masks.get(key);
  if (mask === undefined) {
    mask = staticExclusions(bundle.catalog, rec.definition);
    bundle.masks.set(key, mask);
  }
  return mask;
}
