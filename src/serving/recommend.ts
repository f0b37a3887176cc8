import type { Json } from "../core/json";
import type { CompiledRecommendation } from "../core/segments/compile";
import { hash32 } from "../core/hash";
import { inControl, indicesOf, itemKey, popularPick, profileExclusions, randomPick, rankedPick, type RecSource } from "../core/recommendations/select";
import { unknownRec, type RecResult } from "../core/recommendations/result";
import { rankItems } from "./ort";
import { recBundle, staticMask } from "./recommendation-models";

/** A profile's item history for one recommendation; null for a visitor never seen. */
export interface ItemHistory {
  interacted: Json[];
  converted: Json[];
  /** How often each `interacted` item was taken (parallel to it). */
  counts: number[];
}

/** `rec_type` in the query: force the model or a baseline, as Amplitude's override does. */
export type RecOverride = "model" | "random" | "popular" | null;

/**
 * One profile's recommendation, from its live history: the control split, the
 * definition's exclusions, the cold-user fallback and, for everyone else, the model.
 */
export async function recommend(
  env: Pick<Env, "ARCHIVE">,
  rec: CompiledRecommendation,
  profileKey: string,
  history: ItemHistory | null,
  override: RecOverride,
): Promise<RecResult> {
  if (rec.model === null) return unknownRec(rec.id);
  const bundle = await recBundle(env, rec.id, rec.model);
  const { catalog } = bundle;
  const def = rec.definition;
  const interacted = indicesOf(catalog, history?.interacted ?? []);
  const converted = indicesOf(catalog, history?.converted ?? []);
  const taken = new Map<number, number>();
  (history?.interacted ?? []).forEach((v, i) => {
    const index = catalog.index.get(itemKey(v));
    if (index !== undefined) taken.set(index, history!.counts[i] ?? 1);
  });
  const mask = profileExclusions(staticMask(bundle, rec), [...(def.exclude.interacted ? interacted : []), ...(def.exclude.converted ? converted : [])]);
  // The user's vector sums everything they touched, as the trainer's matrix rows do.
  const touched = [...new Set([...interacted, ...converted])];
  const done = (indices: number[], source: RecSource, control: boolean): RecResult => ({
    rec_id: rec.id,
    child_rec_id: rec.id,
    items: indices.map((i) => catalog.items[i]!.id),
    is_control: control,
    recommendation_source: source,
    last_updated: Math.floor(Date.now() / 1000),
  });

  const control = override === null ? inControl(rec.id, profileKey, def.control.percent) : override !== "model";
  if (control) {
    const strategy = override === "random" || override === "popular" ? override : def.control.strategy;
    const picked =
      strategy === "popular"
        ? popularPick(catalog, mask, def.count)
        : randomPick(catalog.items.length, mask, def.count, hash32(`${rec.id}\u0000${profileKey}`));
    return done(picked, strategy, true);
  }
  if (touched.length === 0) {
    return def.fallback === "popular" ? done(popularPick(catalog, mask, def.count), "popular_fallback", false) : done([], "none", false);
  }
  const ranked = await rankItems(
    await bundle.session(),
    touched,
    touched.map((i) => taken.get(i) ?? 0),
    mask,
    def.count,
  );
  return done(rankedPick(ranked.indices, ranked.scores, mask, def.count), "model", false);
}
