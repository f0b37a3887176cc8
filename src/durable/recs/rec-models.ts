import type { CompiledRecommendation } from "../../core/segments/compile";
import { catalogOf, staticExclusions, type Catalog, type CatalogItem } from "../../core/recommendations/select";
import { oncePerIsolate } from "../scoring/isolate-cache";
import { createSession, type Session } from "../scoring/ort";

/** A published recommendation model as served: its ONNX session and its item index. */
export interface RecBundle {
  /** Created on first use: popular-only answers (cold visitors, control) never need one. */
  session: () => Promise<Session>;
  catalog: Catalog;
  /** Static exclusion masks per recommendation definition (they change only with the definition). */
  masks: Map<string, Uint8Array>;
}

/** Bundles per isolate, keyed by model version id: R2 is read once, every profile shares them. */
const bundles = new Map<string, Promise<RecBundle>>();

export function recBundle(env: Pick<Env, "ARCHIVE">, model: NonNullable<CompiledRecommendation["model"]>): Promise<RecBundle> {
  return oncePerIsolate(bundles, model.id, async () => {
    const [onnx, meta] = await Promise.all([env.ARCHIVE.get(`${model.r2Key}.onnx`), env.ARCHIVE.get(`${model.r2Key}.json`)]);
    if (onnx === null || meta === null) throw new Error(`model ${model.id} is missing from R2 (${model.r2Key})`);
    const { items, popular } = (await meta.json()) as { items: CatalogItem[]; popular: number[] };
    const bytes = new Uint8Array(await onnx.arrayBuffer());
    let session: Promise<Session> | undefined;
    return { session: () => (session ??= createSession(bytes)), catalog: catalogOf(items, popular), masks: new Map() };
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
