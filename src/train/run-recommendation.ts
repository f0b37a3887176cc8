// Trains one recommendation: item interactions from the archive, PureSVD embeddings
// judged on the last month against most-popular, ONNX export checked with
// onnxruntime-web against the trainer's own ranking, publishing with the item index.
import { recommendationMetadataSchema } from "../core/model-contract";
import * as ort from "onnxruntime-web";
import { recommendationSchema } from "../core/recommendations/schema";
import { publishModel, type AdminCall, type DefinitionRow, type PublishedModel } from "./admin-client";
import type { ArchiveSpan, TrainingJob } from "./archive-reader";
import { recommenderOnnx } from "./onnx/recommender";
import { topN } from "./recs/evaluate";
import { InteractionLog } from "./recs/interactions";
import { scoreUser, trainRecommendation, type RecTrainResult } from "./recs/train-recommendation";

/** The serving metadata keeps this many popular items (fallback, control group). */
const POPULAR_KEPT = 500;

/** Sets up one recommendation's training: its interaction log reads the archive pass, `finish` trains, exports and publishes. */
export function prepareRecommendation(api: AdminCall, span: ArchiveSpan, row: DefinitionRow): TrainingJob {
  const rec = recommendationSchema.parse(row.definition);
  console.log(`\nTraining ${row.name} (${row.id}): items ${rec.item.event.type}.${rec.item.property}${rec.goal ? `, goal ${rec.goal.event.type}` : ""}`);
  const log = new InteractionLog(rec);
  return {
    add: (events) => log.add(events),
    finish: async () => {
      if (log.interactions.length === 0)
        throw new Error(`no ${rec.item.event.type} events with ${rec.item.property} in the archive: nothing to learn from yet`);
      return finishRecommendation(api, span, row, log);
    },
  };
}

async function finishRecommendation(api: AdminCall, span: ArchiveSpan, row: DefinitionRow, log: InteractionLog): Promise<PublishedModel | null> {
  console.log(`\n${row.name} (${row.id}):`);
  const started = Date.now();
  const result = trainRecommendation(log, span.last);
  report(result, Date.now() - started);

  // Checked against the contract the Worker serves by (core/model-contract.ts).
  const metadata = recommendationMetadataSchema.parse({
    recommendation_id: row.id,
    items: result.catalog,
    popular: result.model.popular.slice(0, POPULAR_KEPT),
    rank: result.model.rank,
    params: result.params,
    metrics: { holdout: result.holdout, validation: result.validation, rows: result.rows, params: result.params },
    holdout_cutoff: result.holdoutCutoff,
    trained_at: new Date().toISOString(),
  });
  const { embeddings, rank, bias, repeat, knn } = result.model;
  const neighbours = knn === null ? {} : { knn: { k: knn.neighbours.k, index: knn.neighbours.index, sim: knn.neighbours.sim, weight: knn.weight } };
  const bytes = recommenderOnnx({ embeddings, rank, bias, ...(repeat === null ? {} : { repeat }), ...neighbours, metadata: { recommendation_id: row.id } });
  await checkOnnx(bytes, result, log);
  return span.publish ? publishModel(api, "recommendation", row.id, bytes, metadata) : null;
}

/** The exported graph must rank a sample of real histories as the trainer does. */
async function checkOnnx(bytes: Uint8Array, result: RecTrainResult, log: InteractionLog): Promise<void> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes);
  const n = result.catalog.length;
  const histories = new Map<number, Map<number, number>>();
  for (const x of log.interactions) {
    if (x.goal) continue;
    const h = histories.get(x.user) ?? histories.set(x.user, new Map()).get(x.user)!;
    h.set(x.item, (h.get(x.item) ?? 0) + 1);
  }
  let worst = 0;
  for (const counts of [...histories.values()].slice(0, 50)) {
    const h = [...counts.keys()];
    const out = await session.run({
      items: new ort.Tensor("int64", BigInt64Array.from(h.map(BigInt)), [h.length]),
      weights: new ort.Tensor("float32", new Float32Array(h.length).fill(1), [1, h.length]),
      ...(result.model.repeat === null ? {} : { counts: new ort.Tensor("float32", Float32Array.from(counts.values()), [1, h.length]) }),
      mask: new ort.Tensor("float32", new Float32Array(n), [1, n]),
      k: new ort.Tensor("int64", BigInt64Array.from([10n]), [1]),
    });
    const expected = scoreUser(result.model, h, counts);
    const got = out.scores!.data as Float32Array;
    const want = topN(expected, 10, new Set());
    want.forEach((i, r) => {
      worst = Math.max(worst, Math.abs(got[r]! - expected[i]!));
    });
  }
  if (worst > 1e-3) throw new Error(`ONNX export differs from the trainer by ${worst}`);
  console.log(`  ONNX export checked with onnxruntime-web: top-10 scores within ${worst.toExponential(1)}`);
}

function report(r: RecTrainResult, ms: number): void {
  const f = (x: number) => x.toFixed(3);
  console.log(
    `  ${r.rows.users.toLocaleString()} users, ${r.rows.items.toLocaleString()} items, ${r.rows.interactions.toLocaleString()} interactions; fitted in ${(ms / 1000).toFixed(1)} s`,
  );
  console.log("  validation (the month before the holdout), NDCG@10:");
  for (const v of r.validation)
    console.log(
      `    rank ${v.rank}, half-life ${Number.isFinite(v.halfLifeDays) ? `${v.halfLifeDays} d` : "none"}, popularity ${v.popularity}${v.knn > 0 ? `, kNN ${v.knn}` : ""}${v.repeatBase > 0 ? `, repeat ${v.repeatBase}/${v.repeatPerCount}/${v.repeatItem}` : ""}: ${f(v.ndcg)}`,
    );
  const p = r.params;
  const repeat =
    p.repeatBase + p.repeatPerCount + p.repeatItem > 0 ? `; repeats: base ${p.repeatBase}, per count ${p.repeatPerCount}, item re-take ${p.repeatItem}` : "";
  console.log(`  chosen: rank ${p.rank}, half-life ${p.halfLifeDays} d, kNN blend ${p.knn}, popularity blend ${p.popularity}${repeat}`);
  console.log(
    `  holdout from ${new Date(r.holdoutCutoff).toISOString().slice(0, 10)} (${r.holdout.model.users} users buying ${r.holdout.repeat_buy ? "items" : "items new to them"})`,
  );
  console.log("                     HR@10   NDCG@10  coverage");
  const rows = [
    ["model (PureSVD)", r.holdout.model],
    ["popular, last 30 d", r.holdout.popular_recent],
    ["popular, all time", r.holdout.popular_all_time],
  ] as const;
  for (const [name, m] of r.holdout.repeat_buy ? [...rows, ["repeat-buy", r.holdout.repeat_buy] as const] : rows) {
    console.log(`  ${name.padEnd(19)} ${f(m.hit_rate)}   ${f(m.ndcg)}    ${f(m.coverage)}`);
  }
}
