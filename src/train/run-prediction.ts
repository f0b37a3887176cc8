// Trains one prediction: labelled snapshots built with the same feature code the profile
// runs, IRLS logistic regression evaluated on a time-based holdout against a
// recency/frequency baseline, ONNX export (checked with onnxruntime-web), publishing.
import { predictionMetadataSchema } from "../core/model-contract";
import * as ort from "onnxruntime-web";
import { defaultFeatures, FEATURE_SPEC_VERSION, featureNames, type FeatureSpec } from "../core/features";
import { predictionSchema, type Prediction } from "../core/predictions";
import type { DefinitionSet } from "../core/segments/compile";
import { cohortDefinitionSchema, computationSchema } from "../core/segments/schema";
import { publishModel, type AdminCall, type DefinitionRow, type PublishedModel } from "./admin-client";
import type { ArchiveSpan, TrainingJob } from "./archive-reader";
import { describeLearner, predictWith, type Fitted } from "./model/learners";
import { logisticOnnx } from "./onnx/logistic";
import { treesOnnx } from "./onnx/trees";
import { SnapshotBuilder } from "./snapshots";
import { trainPrediction, type TrainResult } from "./train-prediction";

const DAY = 86_400_000;

/** Sets up one prediction's training: its snapshot builder reads the archive pass, `finish` trains, exports and publishes. */
export async function preparePrediction(api: AdminCall, span: ArchiveSpan, row: DefinitionRow, commonTypes: string[]): Promise<TrainingJob> {
  const { hours, first, last } = span;
  const p: Prediction = predictionSchema.parse(row.definition);
  const horizon = p.horizon_days * DAY;
  const spec: FeatureSpec = defaultFeatures(
    p.goal.event,
    p.value_property,
    commonTypes.filter((t) => t !== p.goal.event.type),
  );
  for (const id of p.computations) {
    const comp = await api<DefinitionRow>("GET", `/computations/${id}`);
    spec.features.push({ name: `computation:${comp.name}`, computation: computationSchema.parse(comp.definition), transform: "log1p", missing: 0 });
  }
  // Holdout: the last full horizon. Training: eight cutoffs two weeks apart before it, whose
  // label windows all end by the holdout cutoff (no leakage across the split). The
  // published model is refitted with the holdout's rows too (train-prediction.ts).
  const hour = (t: number) => Math.floor(t / 3_600_000) * 3_600_000;
  const holdoutCutoff = hour(last - horizon);
  const trainCutoffs = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => hour(holdoutCutoff - horizon - k * 15 * DAY)).filter((t) => t > first + 30 * DAY);
  console.log(`\nTraining ${row.name} (${row.id}): goal ${p.goal.event.type} within ${p.horizon_days} days; ${featureNames(spec).length} features`);
  console.log(`  archive ${new Date(first).toISOString()} … ${new Date(last).toISOString()}, ${hours.size} hours`);
  const population = p.population === undefined ? undefined : { cohortId: p.population.cohort, definitions: await projectDefinitions(api) };
  if (population) console.log(`  population: members of cohort ${population.cohortId} at each cutoff`);
  const builder = new SnapshotBuilder(spec, p.goal.event, horizon, [...trainCutoffs, holdoutCutoff], population);
  return { add: (events) => builder.add(events), finish: () => finishPrediction(api, span, row, spec, builder, holdoutCutoff, horizon) };
}

async function finishPrediction(
  api: AdminCall,
  span: ArchiveSpan,
  row: DefinitionRow,
  spec: FeatureSpec,
  builder: SnapshotBuilder,
  holdoutCutoff: number,
  horizonMs: number,
): Promise<PublishedModel | null> {
  console.log(`\n${row.name} (${row.id}):`);
  const result = trainPrediction(spec, builder.finish(), holdoutCutoff, horizonMs);
  report(result);

  // Export, then check the exported model scores exactly as the trainer does.
  // Checked against the contract the Worker serves by (core/model-contract.ts) before anything is exported.
  const metadata = predictionMetadataSchema.parse({
    prediction_id: row.id,
    feature_spec: spec,
    feature_spec_version: FEATURE_SPEC_VERSION,
    metrics: {
      holdout: result.holdout,
      importance: result.importance,
      rows: result.rows,
      learner: describeLearner(result.learner),
      validation: result.validation,
    },
    quantiles: result.quantiles,
    trained_at: new Date().toISOString(),
    train_cutoffs: result.trainCutoffs,
    holdout_cutoff: result.holdoutCutoff,
  });
  const bytes = exportOnnx(result.published, result.features, { prediction_id: row.id, feature_spec_version: String(FEATURE_SPEC_VERSION) });
  await checkOnnx(bytes, result);
  return span.publish ? publishModel(api, "prediction", row.id, bytes, metadata) : null;
}

/** The project's computations and cohorts, parsed as the profile parses them. */
async function projectDefinitions(api: AdminCall): Promise<DefinitionSet> {
  const [comps, cohs, preds] = await Promise.all([
    api<{ computations: DefinitionRow[] }>("GET", "/computations"),
    api<{ cohorts: DefinitionRow[] }>("GET", "/cohorts"),
    api<{ predictions: DefinitionRow[] }>("GET", "/predictions"),
  ]);
  return {
    version: "train",
    computations: comps.computations.map((c) => ({ id: c.id, definition: computationSchema.parse(c.definition) })),
    cohorts: cohs.cohorts.map((c) => ({ id: c.id, definition: cohortDefinitionSchema.parse(c.definition) })),
    // Scores are not known while training: predictive clauses evaluate as unscored.
    predictions: preds.predictions.map((p) => ({ id: p.id, definition: predictionSchema.parse(p.definition), model: null })),
  };
}

function exportOnnx(m: Fitted, features: string[], metadata: Record<string, string>): Uint8Array {
  return m.kind === "logistic"
    ? logisticOnnx({ weights: m.model.weights, bias: m.model.bias, featureNames: features, metadata })
    : treesOnnx(m.model, features, metadata);
}

/** The exported model must score real holdout rows as the trainer does. */
async function checkOnnx(bytes: Uint8Array, result: TrainResult) {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(bytes);
  const probe = result.probe;
  const out = await session.run({ features: new ort.Tensor("float32", Float32Array.from(probe.flat()), [probe.length, result.features.length]) });
  const got = out.probability!.data as Float32Array;
  const worst = probe.reduce((m, x, i) => Math.max(m, Math.abs(got[i]! - predictWith(result.published, x))), 0);
  if (worst > 1e-5) throw new Error(`ONNX export differs from the trainer by ${worst}`);
  console.log(`  ONNX export checked with onnxruntime-web: max |difference| ${worst.toExponential(1)}`);
}

function report(r: TrainResult) {
  const f = (n: number, d = 3) => (Number.isFinite(n) ? n.toFixed(d) : "–");
  console.log(
    `  rows: ${r.rows.train.toLocaleString()} training (${(r.rows.train_positive_rate * 100).toFixed(1)}% positive), ${r.rows.holdout.toLocaleString()} holdout`,
  );
  for (const v of r.validation) console.log(`  validation: ${v.learner.padEnd(48)} AUC ${f(v.auc)}  log loss ${f(v.log_loss)}`);
  console.log(`  chosen: ${describeLearner(r.learner)}`);
  console.log(
    `  cutoffs: train ${r.trainCutoffs.map((t) => new Date(t).toISOString().slice(0, 10)).join(", ")}; holdout ${new Date(r.holdoutCutoff).toISOString().slice(0, 10)}`,
  );
  console.log("  holdout        AUC    log loss  precision@10%  recall@10%");
  for (const [name, m] of [
    ["model", r.holdout.model],
    ["baseline (R/F)", r.holdout.baseline],
  ] as const) {
    console.log(`  ${name.padEnd(14)} ${f(m.auc)}  ${f(m.log_loss)}     ${f(m.precision_at_10pct)}          ${f(m.recall_at_10pct)}`);
  }
  console.log("  calibration (decile: predicted → actual; model | baseline):");
  r.holdout.model.calibration.forEach((b, i) => {
    const c = r.holdout.baseline.calibration[i];
    console.log(`    ${String(b.decile).padStart(2)}: ${f(b.predicted)} → ${f(b.actual)}  | ${c ? `${f(c.predicted)} → ${f(c.actual)}` : "–"}  (${b.count})`);
  });
  console.log(
    `  top features: ${r.importance
      .slice(0, 6)
      .map((i) => `${i.feature} ${i.weight > 0 ? "+" : ""}${f(i.weight, 2)}`)
      .join(", ")}`,
  );
}
