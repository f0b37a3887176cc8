// Trains one recommendation: item interactions from the archive, PureSVD embeddings
// judged on the last month against most-popular, ONNX export checked with
// onnxruntime-web against the trainer's own ranking, publishing with the item index.
import * as ort from "onnxruntime-web";
import { recommendationSchema } from "../core/recommendations/schema";
import { publishModel, type AdminCall, type DefinitionRow, type PublishedModel } from "./admin-client";
import type { ArchiveSpan, TrainingJob } from "./archive-reader";
import { recommenderOnnx } from "./onnx/recommender";
import { topN } from "./recs/evaluate";
import { InteractionLog } from "./recs/interactions";
import { scoreItems } from "./recs/pure-svd";
import { trainRecommendation, type RecTrainResult } from "./recs/train-recommendation";

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
      if (log.interactions.length === 0) throw new Error(`no ${rec.item.event.type} events with ${rec.item.property} in the archive: nothing to learn from yet`);
      return finishRecommendation(api, span, row, log);
    },
  };
}

async function finishRecommendation(api: AdminCall, span: ArchiveSpan, row: DefinitionRow, log: InteractionLog): Promise<PublishedModel | null> {
  console.log(`\n${row.name} (${row.id}):`);
  const started = Date.now();
  const result = trainRecommendation(log, span.last);
  report(result, Date.now() - started);

  const metadata = {
    recommendation_id: row.id,
    items: result.catalog,
    popular: result.model.popular.slice(0, POPULAR_KEPT),
    rank: result.model.rank,
    params: result.params,
    metrics: { holdout: result.holdout, validation: result.validation, rows: result.rows, params: result.params },
    holdout_cutoff: result.holdoutCutoff,
    trained_at: new Date().toISOString(),
  };
  const bytes = recommenderOnnx({ embeddings: result.model.embeddings, rank: result.model.rank, bias: result.model.bias, metadata: { recommendation_id: row.id } });
  await checkOnnx(bytes, result, log);
  return span.publish ? publishModel(api, span, "recommendation", row.id, bytes, metadata) : null;
}

/** The exported graph must rank a sample of real histories as the trainer does. */
async function checkOnnx(bytes: Uint8Array, result: RecTrainResult, log: InteractionLog): Promise<void> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes);
  const n = result.catalog.length;
  const histories = new Map<number, Set<number>>();
  for (const x of log.interactions) if (!x.goal) (histories.get(x.user) ?? histories.set(x.user, new Set()).get(x.user)!).add(x.item);
  let worst = 0;
  for (const items of [...histories.values()].slice(0, 50)) {
    const h = [...items];
    const out = await session.run({
      items: new ort.Tensor("int64", BigInt64Array.from(h.map(BigInt)), [h.length]),
      weights: new ort.Tensor("float32", new Float32Array(h.length).fill(1), [1, h.length]),
      mask: new ort.Tensor("float32", new Float32Array(n), [1, n]),
      k: new ort.Tensor("int64", BigInt64Array.from([10n]), [1]),
    });
    const expected = scoreItems(result.model.embeddings, result.model.rank, h, result.model.bias);
    const got = out.scores!.data as Float32Array;
    const want = topN(expected, 10, new Set());
    want.forEach((i, r) => (worst = Math.max(worst, Math.abs(got[r]! - expected[i]!))));
  }
  if (worst > 1e-3) throw new Error(`ONNX export differs from the trainer by ${worst}`);
  console.log(`  ONNX export checked with onnxruntime-web: top-10 scores within ${worst.toExponential(1)}`);
}

function report(r: RecTrainResult, ms: number): void {
  const f = (x: number) => x.toFixed(3);
  console.log(`  ${r.rows.users.toLocaleString()} users, ${r.rows.items.toLocaleString()} items, ${r.rows.interactions.toLocaleString()} interactions; fitted in ${(ms / 1000).toFixed(1)} s`);
  console.log("  validation (the month before the holdout), NDCG@10:");
  for (const v of r.validation) console.log(`    rank ${v.rank}, half-life ${Number.isFinite(v.halfLifeDays) ? `${v.halfLifeDays} d` : "none"}, popularity ${v.popularity}: ${f(v.ndcg)}`);
  console.log(`  chosen: rank ${r.params.rank}, half-life ${r.params.halfLifeDays} d, popularity blend ${r.params.popularity}`);
  console.log(`  holdout from ${new Date(r.holdoutCutoff).toISOString().slice(0, 10)} (${r.holdout.model.users} users buying items new to them)`);
  console.log("                     HR@10   NDCG@10  coverage");
  for (const [name, m] of [["model (PureSVD)", r.holdout.model], ["popular, last 30 d", r.holdout.popular_recent], ["popular, all time", r.holdout.popular_all_time]] as const) {
    console.log(`  ${name.padEnd(19)} ${f(m.hit_rate)}   ${f(m.ndcg)}    ${f(m.coverage)}`);
  }
}
