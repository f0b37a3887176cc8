import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import type { TailorEvent } from "../../../src/core/event";
import { recommendationSchema } from "../../../src/core/recommendations/schema";
import { catalogOf, inControl, popularPick, profileExclusions, randomPick, rankedPick, staticExclusions } from "../../../src/core/recommendations/select";
import { recommenderOnnx } from "../../../src/train/onnx/recommender";
import { evaluateTopN, sampleCases, topN } from "../../../src/train/recs/evaluate";
import { InteractionLog } from "../../../src/train/recs/interactions";
import { itemNeighbours } from "../../../src/train/recs/item-knn";
import { itemEmbeddings, scoreItems, sparseRows, symmetricEigen } from "../../../src/train/recs/pure-svd";
import { fit, holdoutCases, scoreUser, trainRecommendation } from "../../../src/train/recs/train-recommendation";

const DAY = 86_400_000;

function purchase(user: string, item: string, time: number, extra: Record<string, string | number> = {}): TailorEvent {
  return {
    event_type: "Product Purchased",
    user_id: user,
    time,
    event_properties: { product_id: item, ...extra },
    user_properties: {},
    uuid: `${user}-${item}-${time}`,
    received_at: time,
  };
}

/**
 * A shop with two tastes: "tea" people buy from t0..t9, "garden" people from g0..g9, and
 * everyone sometimes buys the very popular p0. A good model recommends within the taste.
 */
function twoTasteShop(users = 120, seed = 7): { events: TailorEvent[]; end: number } {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const events: TailorEvent[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let u = 0; u < users; u++) {
    const taste = u % 2 === 0 ? "t" : "g";
    for (let k = 0; k < 8; k++) {
      const time = start + Math.floor(rand() * 120) * DAY + u;
      events.push(purchase(`u${u}`, rand() < 0.25 ? "p0" : `${taste}${Math.floor(rand() * 10)}`, time, { price: taste === "t" ? 3 : 12 }));
    }
  }
  events.sort((a, b) => a.time - b.time);
  return { events, end: start + 121 * DAY };
}

const rec = recommendationSchema.parse({ item: { event: { type: "Product Purchased" }, property: "product_id" } });

describe("PureSVD", () => {
  it("finds eigenpairs of a symmetric matrix", () => {
    const m = Float64Array.from([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const { values, vectors } = symmetricEigen(m, 3);
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < 3; r++) {
        const mv = [0, 1, 2].reduce((s, j) => s + m[r * 3 + j]! * vectors[j * 3 + c]!, 0);
        expect(mv).toBeCloseTo(values[c]! * vectors[r * 3 + c]!, 9);
      }
    }
  });

  it("recovers a rank-2 block structure: items of one block score together", () => {
    const entries: [number, number, number][] = [];
    for (let u = 0; u < 40; u++) for (let i = 0; i < 5; i++) entries.push([u, (u % 2) * 5 + i, 1]);
    const v = itemEmbeddings(sparseRows(40, 10, entries), 2);
    const scores = scoreItems(v, 2, [0]);
    for (let i = 1; i < 5; i++) expect(scores[i]!).toBeGreaterThan(scores[5 + (i % 5)]! + 0.1);
  });
});

describe("top-N metrics", () => {
  it("hit rate, NDCG and coverage by hand", () => {
    const cases = [
      { user: 0, seen: [0], relevant: new Set([2]) },
      { user: 1, seen: [1], relevant: new Set([5]) },
    ];
    const m = evaluateTopN(cases, 10, 2, (c) => (c.user === 0 ? [3, 2] : [3, 4]));
    expect(m.hit_rate).toBe(0.5);
    expect(m.ndcg).toBeCloseTo(1 / Math.log2(3) / 2, 12);
    expect(m.coverage).toBeCloseTo(3 / 10, 12);
  });

  it("topN skips exclusions and keeps order", () => {
    expect(topN([0.1, 0.9, 0.5, 0.7, 0.3], 3, new Set([1]))).toEqual([3, 2, 4]);
  });
});

describe("training on a time split", () => {
  it("beats most-popular when tastes exist, and only counts items new to the user", () => {
    const { events, end } = twoTasteShop();
    const log = new InteractionLog(rec);
    log.add(events);
    const result = trainRecommendation(log, end, 30);
    expect(result.holdout.model.users).toBeGreaterThan(20);
    expect(result.holdout.model.hit_rate).toBeGreaterThan(result.holdout.popular_recent.hit_rate);
    for (const c of holdoutCases(log, end - 30 * DAY, end)) for (const item of c.relevant) expect(c.seen).not.toContain(item);
    expect(result.catalog.find((i) => i.id === "t1")?.props).toMatchObject({ price: 3 });
  });
});

describe("training when repeats may be shown", () => {
  /** Each user re-buys a staple of their own every ~10 days, besides their taste's items. */
  function stapleShop(users = 120, seed = 11): { events: TailorEvent[]; end: number } {
    const { events } = twoTasteShop(users, seed);
    const start = Date.UTC(2026, 0, 1);
    for (let u = 0; u < users; u++) for (let d = u % 10; d < 120; d += 10) events.push(purchase(`u${u}`, `staple${u}`, start + d * DAY + u));
    events.sort((a, b) => a.time - b.time);
    return { events, end: start + 121 * DAY };
  }
  const repeats = recommendationSchema.parse({
    item: { event: { type: "Product Purchased" }, property: "product_id" },
    exclude: { interacted: false, converted: false },
  });

  it("counts repeats in validation and holdout, learns a repeat component and beats repeat-buy or matches it", () => {
    const { events, end } = stapleShop();
    const log = new InteractionLog(repeats);
    log.add(events);
    const cases = holdoutCases(log, end - 30 * DAY, end);
    expect(cases.some((c) => [...c.relevant].some((i) => c.seen.includes(i)))).toBe(true);
    const result = trainRecommendation(log, end, 30);
    expect(result.params.repeatBase + result.params.repeatPerCount + result.params.repeatItem).toBeGreaterThan(0);
    expect(result.model.repeat).not.toBeNull();
    expect(result.holdout.repeat_buy).toBeDefined();
    expect(result.holdout.model.hit_rate).toBeGreaterThanOrEqual(result.holdout.repeat_buy!.hit_rate);
    expect(result.holdout.model.hit_rate).toBeGreaterThan(result.holdout.popular_recent.hit_rate + 0.2);
  });

  it("a definition that excludes what users took learns none", () => {
    const { events, end } = stapleShop();
    const log = new InteractionLog(rec);
    log.add(events);
    const result = trainRecommendation(log, end, 30);
    expect(result.model.repeat).toBeNull();
    expect(result.holdout.repeat_buy).toBeUndefined();
  });
});

describe("goal-aware ranking", () => {
  it("items after which users go on to the goal get a higher bias than items after which they do not", () => {
    const goalRec = recommendationSchema.parse({
      item: { event: { type: "Product Viewed" }, property: "product_id" },
      goal: { event: { type: "Order Completed" } },
    });
    const events: TailorEvent[] = [];
    const start = Date.UTC(2026, 0, 1);
    for (let u = 0; u < 60; u++) {
      const t = start + u * 3_600_000;
      const viewed = u % 2 === 0 ? "converts" : "browses";
      events.push({ ...purchase(`u${u}`, viewed, t), event_type: "Product Viewed" });
      events.push({ ...purchase(`u${u}`, "other", t + 1), event_type: "Product Viewed" });
      if (viewed === "converts")
        events.push({
          event_type: "Order Completed",
          user_id: `u${u}`,
          time: t + DAY,
          event_properties: {},
          user_properties: {},
          uuid: `o${u}`,
          received_at: t,
        });
    }
    const log = new InteractionLog(goalRec);
    log.add(events);
    expect(log.goalIsItem).toBe(false);
    // biome-ignore lint/suspicious/noFocusedTests: the trainer's fit, not jest's
    const model = fit(log, start + 100 * DAY, { rank: 2, halfLifeDays: Infinity, popularity: 0, repeatBase: 0, repeatPerCount: 0, repeatItem: 0, knn: 0 });
    const bias = (id: string) => model.bias[log.items.get(id)!]!;
    expect(bias("converts")).toBeGreaterThan(0);
    expect(bias("browses")).toBeLessThan(0);
  });
});

/** One ranking by an exported recommender in onnxruntime-web: the top `k` indices and scores. */
async function rankWith(session: ort.InferenceSession, history: number[], n: number, k: number, extra: { mask?: Float32Array; counts?: number[] } = {}) {
  const h = history.length;
  const out = await session.run({
    items: new ort.Tensor("int64", BigInt64Array.from(history.map(BigInt)), [h]),
    weights: new ort.Tensor("float32", new Float32Array(h).fill(1), [1, h]),
    ...(extra.counts === undefined ? {} : { counts: new ort.Tensor("float32", Float32Array.from(extra.counts), [1, h]) }),
    mask: new ort.Tensor("float32", extra.mask ?? new Float32Array(n), [1, n]),
    k: new ort.Tensor("int64", BigInt64Array.from([BigInt(k)]), [1]),
  });
  return { got: Array.from(out.indices!.data as BigInt64Array, Number), scores: Array.from(out.scores!.data as Float32Array) };
}

describe("ONNX export", () => {
  it("ranks exactly like the trainer's arithmetic, masks what it must, in onnxruntime-web", async () => {
    ort.env.wasm.numThreads = 1;
    const n = 50;
    const rank = 4;
    const embeddings = Float64Array.from({ length: n * rank }, (_, i) => Math.sin(i * 1.7) * 0.5);
    const bias = Float64Array.from({ length: n }, (_, i) => (i % 7) * 0.01);
    const session = await ort.InferenceSession.create(recommenderOnnx({ embeddings, rank, bias }));
    const history = [3, 17, 42];
    const mask = new Float32Array(n);
    mask[5] = -Infinity;
    const { got, scores } = await rankWith(session, history, n, 10, { mask });
    const expected = scoreItems(embeddings, rank, history, bias);
    const want = topN(expected, 10, new Set([5]));
    expect(got).toEqual(want);
    scores.forEach((s, i) => {
      expect(s).toBeCloseTo(expected[want[i]!]!, 5);
    });
  });
});

describe("ONNX export with a repeat component", () => {
  it("raises the profile's own items by base + per-count · log(1 + count) + their re-take propensity, as the trainer scores", async () => {
    ort.env.wasm.numThreads = 1;
    const n = 30;
    const rank = 3;
    const embeddings = Float64Array.from({ length: n * rank }, (_, i) => Math.cos(i * 0.9) * 0.3);
    const bias = new Float64Array(n);
    const repeat = { base: 0.5, perCount: 0.25, item: Float64Array.from({ length: n }, (_, i) => (i % 5) * 0.1 - 0.2) };
    const model = { rank, embeddings, bias, popular: [], repeat, knn: null };
    const session = await ort.InferenceSession.create(recommenderOnnx({ embeddings, rank, bias, repeat }));
    expect(session.inputNames).toContain("counts");
    const counts = new Map([
      [4, 3],
      [11, 1],
      [27, 0],
    ]);
    const history = [...counts.keys()];
    const { got, scores } = await rankWith(session, history, n, n, { counts: [...counts.values()] });
    const expected = scoreUser(model, history, counts);
    expect(got).toEqual(topN(expected, n, new Set()));
    scores.forEach((s, i) => {
      expect(s).toBeCloseTo(expected[got[i]!]!, 5);
    });
    // The repeat component is what lifts item 4 (taken three times) above what its embedding alone gives it.
    expect(expected[4]! - scoreItems(embeddings, rank, history, bias)[4]!).toBeCloseTo(0.5 + 0.25 * Math.log1p(3) + repeat.item[4]!, 9);
  });
});

describe("ONNX export with item neighbours", () => {
  it("adds weight × the summed neighbour similarities of the profile's items, as the trainer scores", async () => {
    ort.env.wasm.numThreads = 1;
    const { events, end } = twoTasteShop();
    const log = new InteractionLog(rec);
    log.add(events);
    const n = log.items.size;
    const rank = 2;
    const embeddings = Float64Array.from({ length: n * rank }, (_, i) => Math.sin(i * 0.7) * 0.2);
    const neighbours = itemNeighbours(log, end, 5);
    // Each item's neighbours are the other items most often taken by the same users, most similar first.
    expect(neighbours.sim[0]!).toBeGreaterThanOrEqual(neighbours.sim[1]!);
    const model = { rank, embeddings, bias: new Float64Array(n), popular: [], repeat: null, knn: { neighbours, weight: 0.7 } };
    const session = await ort.InferenceSession.create(
      recommenderOnnx({ embeddings, rank, bias: model.bias, knn: { k: 5, index: neighbours.index, sim: neighbours.sim, weight: 0.7 } }),
    );
    const history = [0, 3, 7];
    const { got, scores } = await rankWith(session, history, n, 10);
    const expected = scoreUser(model, history, new Map());
    expect(got).toEqual(topN(expected, 10, new Set()));
    scores.forEach((s, i) => {
      expect(s).toBeCloseTo(expected[got[i]!]!, 5);
    });
    expect(Math.max(...expected) - Math.max(...scoreItems(embeddings, rank, history, model.bias))).toBeGreaterThan(0.1);
  });
});

describe("serving selection", () => {
  const catalog = catalogOf(
    [
      { id: "a", props: { price: 5 } },
      { id: "b", props: { price: 50 } },
      { id: "c", props: { price: 1 } },
      { id: "d", props: {} },
    ],
    [1, 0, 2, 3],
  );

  it("excludes listed items and items failing property filters", () => {
    const r = recommendationSchema.parse({ ...rec, exclude: { items: ["c"], where: [{ property: "price", op: "lt", value: 20 }] } });
    expect(Array.from(staticExclusions(catalog, r))).toEqual([0, 1, 1, 1]);
    expect(popularPick(catalog, profileExclusions(new Uint8Array(4), [1]), 2)).toEqual([0, 2]);
  });

  it("puts a stable share of profiles in control", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `u:${i}`);
    const share = keys.filter((k) => inControl("rec_1", k, 20)).length / keys.length;
    expect(share).toBeGreaterThan(0.19);
    expect(share).toBeLessThan(0.21);
    expect(keys.map((k) => inControl("rec_1", k, 20))).toEqual(keys.map((k) => inControl("rec_1", k, 20)));
    expect(inControl("rec_1", "u:1", 0)).toBe(false);
  });

  it("random picks are distinct, unmasked and stable per seed", () => {
    const mask = Uint8Array.from([0, 1, 0, 0]);
    const pick = randomPick(4, mask, 3, 99);
    expect(new Set(pick).size).toBe(3);
    expect(pick).not.toContain(1);
    expect(randomPick(4, mask, 3, 99)).toEqual(pick);
  });

  it("model picks drop masked and -Infinity entries", () => {
    expect(rankedPick([2, 1, 0], [3, 2, -Infinity], Uint8Array.from([0, 1, 0]), 3)).toEqual([2]);
  });
});

describe("the parameter search's validation sample", () => {
  it("keeps every case up to the bound, then the same fixed subset of users whatever their order", () => {
    const cases = Array.from({ length: 100 }, (_, user) => ({ user }));
    expect(sampleCases(cases, 100)).toBe(cases);
    const sample = sampleCases(cases, 30);
    expect(sample).toHaveLength(30);
    expect(new Set(sample.map((c) => c.user)).size).toBe(30);
    expect(sampleCases([...cases].reverse(), 30)).toEqual(sample);
    // Spread over the users, not the first ones.
    expect(Math.max(...sample.map((c) => c.user))).toBeGreaterThan(60);
    expect(Math.min(...sample.map((c) => c.user))).toBeLessThan(40);
  });
});
