import type { Json, JsonObject } from "../json";
import { hash32, mulberry32 } from "../hash";
import { testCondition } from "../segments/conditions";
import type { Recommendation } from "./schema";

/**
 * The pure half of serving a recommendation: who is in the control group, which items
 * may be shown, and the baselines (most popular, random). The model's ranking itself
 * runs in ONNX; everything around it is here, shared by the edge, tests and benchmarks.
 */

/** One catalogue item as the trainer saw it: its id and its last seen item-event properties. */
export interface CatalogItem {
  id: string;
  props: JsonObject;
}

/** What a model version serves from: its items (model index order) and their popularity. */
export interface Catalog {
  items: readonly CatalogItem[];
  index: ReadonlyMap<string, number>;
  /** Item indices by recent goal popularity, most popular first. */
  popular: readonly number[];
}

export function catalogOf(items: readonly CatalogItem[], popular: readonly number[]): Catalog {
  return { items, index: new Map(items.map((it, i) => [it.id, i])), popular };
}

export type RecSource = "model" | "popular" | "random" | "popular_fallback" | "none" | "global_control";

/** Whether this profile is in the recommendation's control group: the same answer every time. */
export function inControl(recId: string, profileKey: string, percent: number): boolean {
  if (percent <= 0) return false;
  return (hash32(`${recId}\u0000${profileKey}`) / 2 ** 32) * 100 < percent;
}

/** Items the definition never shows (the list, and items failing the property filters), as a mask. */
export function staticExclusions(catalog: Catalog, rec: Recommendation): Uint8Array {
  const mask = new Uint8Array(catalog.items.length);
  const listed = new Set(rec.exclude.items);
  catalog.items.forEach((item, i) => {
    const fails = rec.exclude.where.some((f) => !testCondition(item.props[f.property], f.op, f.value));
    if (fails || listed.has(item.id)) mask[i] = 1;
  });
  return mask;
}

/** Item ids are strings (numbers and other JSON values are stringified), in training and at the edge. */
export function itemKey(value: Json): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Catalogue indices of the profile's items (unknown items, new since training, are skipped). */
export function indicesOf(catalog: Catalog, items: Iterable<Json>): number[] {
  const out: number[] = [];
  for (const v of items) {
    const i = catalog.index.get(itemKey(v));
    if (i !== undefined) out.push(i);
  }
  return out;
}

/** The mask for one profile: static exclusions plus its own history where the definition says so. */
export function profileExclusions(base: Uint8Array, own: readonly number[]): Uint8Array {
  if (own.length === 0) return base;
  const mask = base.slice();
  for (const i of own) mask[i] = 1;
  return mask;
}

/** The first `count` popular items not masked. */
export function popularPick(catalog: Catalog, mask: Uint8Array, count: number): number[] {
  const out: number[] = [];
  for (const i of catalog.popular) {
    if (out.length === count) break;
    if (mask[i] === 0) out.push(i);
  }
  return out;
}

/** `count` distinct unmasked items drawn by a PRNG seeded per profile (stable across reads). */
export function randomPick(n: number, mask: Uint8Array, count: number, seed: number): number[] {
  const allowed: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i] === 0) allowed.push(i);
  const draw = mulberry32(seed);
  const next = () => draw() / 2 ** 32;
  // A partial Fisher–Yates shuffle: only the first `count` positions.
  const take = Math.min(count, allowed.length);
  for (let k = 0; k < take; k++) {
    const j = k + Math.floor(next() * (allowed.length - k));
    [allowed[k], allowed[j]] = [allowed[j]!, allowed[k]!];
  }
  return allowed.slice(0, take);
}

/** The model's ranked indices without masked ones (the model ranks masked items last, with -Infinity). */
export function rankedPick(indices: ArrayLike<number | bigint>, scores: ArrayLike<number>, mask: Uint8Array, count: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < indices.length && out.length < count; k++) {
    const i = Number(indices[k]);
    if (Number.isFinite(scores[k]!) && mask[i] === 0) out.push(i);
  }
  return out;
}
