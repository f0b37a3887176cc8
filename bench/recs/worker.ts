// The bench/recs Worker: the profile's own recommendation path (`recommend`: exclusions,
// ONNX inference in workerd, picking) over synthetic catalogues, next to the popular
// fallback (no inference) and a plain JS scorer of the same model (the ranking without ORT).
import { recommendationSchema } from "../../src/core/recommendations/schema";
import type { CompiledRecommendation } from "../../src/core/segments/compile";
import { recommend } from "../../src/serving/recommend";
import { recommenderOnnx } from "../../src/train/onnx/recommender";

const RANK = 32;
const HISTORY = 20;
const definition = recommendationSchema.parse({ item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 10 });

function embeddings(n: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: n * RANK }, () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5);
}

const recs = new Map<number, { rec: CompiledRecommendation; e: Float32Array }>();

async function catalogue(env: { ARCHIVE: R2Bucket }, n: number) {
  let entry = recs.get(n);
  if (entry === undefined) {
    const e = embeddings(n);
    const r2Key = `bench/n${n}`;
    await env.ARCHIVE.put(`${r2Key}.onnx`, recommenderOnnx({ embeddings: e, rank: RANK, bias: new Float32Array(n) }));
    const items = Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, props: {} }));
    await env.ARCHIVE.put(`${r2Key}.json`, JSON.stringify({ items, popular: items.map((_, i) => i) }));
    entry = { rec: { id: `rec_${n}`, definition, model: { id: `mdl_${n}`, r2Key }, interacted: 0, converted: 0 }, e };
    recs.set(n, entry);
  }
  return entry;
}

const history = (i: number, n: number) => Array.from({ length: HISTORY }, (_, k) => `item-${(i * 7919 + k * 104729) % n}`);

/** The same ranking as the model, by hand: sum the history's embeddings, score all, keep the best 10. */
function jsRecommend(e: Float32Array, n: number, items: number[]): number[] {
  const u = new Float32Array(RANK);
  for (const i of items) for (let j = 0; j < RANK; j++) u[j]! += e[i * RANK + j]!;
  const seen = new Set(items);
  const best: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (seen.has(i)) continue;
    let s = 0;
    for (let j = 0; j < RANK; j++) s += u[j]! * e[i * RANK + j]!;
    if (best.length < 10 || s > best[best.length - 1]![1]) {
      best.push([i, s]);
      best.sort((a, b) => b[1] - a[1]);
      if (best.length > 10) best.pop();
    }
  }
  return best.map(([i]) => i);
}

export default {
  async fetch(request: Request, env: { ARCHIVE: R2Bucket }): Promise<Response> {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("items") ?? "1000");
    const reps = Number(url.searchParams.get("n") ?? "1");
    const { rec, e } = await catalogue(env, n);
    let total = 0;
    if (url.pathname === "/model") {
      for (let i = 0; i < reps; i++)
        total += (await recommend(env, rec, `u:${i}`, { interacted: history(i, n), counts: [], converted: [] }, null)).items.length;
    } else if (url.pathname === "/popular") {
      for (let i = 0; i < reps; i++) total += (await recommend(env, rec, `u:${i}`, null, null)).items.length;
    } else if (url.pathname === "/js") {
      for (let i = 0; i < reps; i++)
        total += jsRecommend(
          e,
          n,
          history(i, n).map((id) => Number(id.slice(5))),
        ).length;
    } else if (url.pathname !== "/") {
      return new Response("not found", { status: 404 });
    }
    return Response.json({ total });
  },
} satisfies ExportedHandler<{ ARCHIVE: R2Bucket }>;
