import { featureNames, type FeatureSpec } from "../core/features";
import { atTop, auc, calibration, logLoss, quantiles, rocCurve, scoreHistogram, type CalibrationBin, type ScoreBin } from "./metrics";
import { calibrated, CANDIDATES, describeLearner, fitWith, importanceOf, predictWith, type Fitted, type Learner } from "./model/learners";
import { fitLogistic, predict, type FittedLogistic } from "./model/logistic-regression";
import type { Snapshot } from "./snapshots";

export interface Quality {
  auc: number;
  log_loss: number;
  positive_rate: number;
  precision_at_10pct: number;
  recall_at_10pct: number;
  calibration: CalibrationBin[];
  /** [false positive rate, true positive rate], for the admin UI's ROC chart. */
  roc: [number, number][];
  score_histogram: ScoreBin[];
}

export interface TrainResult {
  features: string[];
  /** The learner the validation window chose, and how each candidate did there. */
  learner: Learner;
  validation: { learner: string; auc: number; log_loss: number }[];
  /** Fitted on the training cutoffs: what the holdout judges. */
  model: Fitted;
  /**
   * Refitted with the holdout cutoff's rows too, then calibrated (Platt) on them, so the
   * latest labelled window — the season closest to now — sets the served probabilities:
   * what is published.
   */
  published: Fitted;
  /** Some holdout rows, to check the exported model against the trainer. */
  probe: number[][];
  baseline: { features: string[]; model: FittedLogistic };
  holdout: { model: Quality; baseline: Quality };
  /** Standardised weights (logistic) or shares of split gain (trees), largest first. */
  importance: { feature: string; weight: number }[];
  /** Score quantiles 0..100 on the holdout, for percentiles at the edge. */
  quantiles: number[];
  rows: { train: number; holdout: number; train_positive_rate: number };
  trainCutoffs: number[];
  holdoutCutoff: number;
}

function quality(p: number[], y: number[]): Quality {
  const top = atTop(p, y, 0.1);
  return {
    auc: auc(p, y),
    log_loss: logLoss(p, y),
    positive_rate: y.reduce((a, b) => a + b, 0) / y.length,
    precision_at_10pct: top.precision,
    recall_at_10pct: top.recall,
    calibration: calibration(p, y),
    roc: rocCurve(p, y),
    score_histogram: scoreHistogram(p, y),
  };
}

/** The recency/frequency baseline: a logistic model on just those two features. */
const BASELINE = ["days_since_last_goal", "goal_count"];

/**
 * Time-based splits. Validation: the latest training cutoff judges each candidate learner
 * fitted on the cutoffs whose label windows end by it (`horizonMs`); the one with the
 * lowest log loss (ranking and calibration at once) is chosen. Holdout: snapshots at the
 * holdout cutoff judge the chosen learner fitted on every earlier cutoff, beside a
 * recency/frequency baseline trained the same way. Published: refitted on all rows.
 */
export function trainPrediction(
  spec: FeatureSpec,
  snapshots: readonly Snapshot[],
  holdoutCutoff: number,
  horizonMs = 0,
  candidates: readonly Learner[] = CANDIDATES,
): TrainResult {
  const train = snapshots.filter((s) => s.cutoff < holdoutCutoff);
  const holdout = snapshots.filter((s) => s.cutoff === holdoutCutoff);
  if (train.length === 0 || holdout.length === 0) throw new Error(`not enough data: ${train.length} training and ${holdout.length} holdout rows`);
  const names = featureNames(spec);
  const y: number[] = train.map((s) => s.label);

  const { learner, validation } = chooseLearner(train, horizonMs, candidates);
  const model = fitWith(
    learner,
    train.map((s) => s.x),
    y,
  );
  const cols = BASELINE.map((n) => names.indexOf(n));
  const pick = (x: number[]) => cols.map((c) => x[c]!);
  const baseline = fitLogistic(
    train.map((s) => pick(s.x)),
    y,
    { l2: 1 },
  );

  const yh: number[] = holdout.map((s) => s.label);
  const p = holdout.map((s) => predictWith(model, s.x));
  const published = calibrated(
    fitWith(
      learner,
      [...train, ...holdout].map((s) => s.x),
      [...y, ...yh],
    ),
    holdout.map((s) => s.x),
    yh,
  );
  const pb = holdout.map((s) => predict(baseline, pick(s.x)));
  return {
    features: names,
    learner,
    validation,
    model,
    published,
    probe: holdout.slice(0, 200).map((s) => s.x),
    baseline: { features: BASELINE, model: baseline },
    holdout: { model: quality(p, yh), baseline: quality(pb, yh) },
    importance: names.map((feature, j) => ({ feature, weight: importanceOf(model)[j]! })).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)),
    quantiles: quantiles(holdout.map((s) => predictWith(published, s.x))),
    rows: { train: train.length, holdout: holdout.length, train_positive_rate: y.reduce((a, b) => a + b, 0) / y.length },
    trainCutoffs: [...new Set(train.map((s) => s.cutoff))].sort(),
    holdoutCutoff,
  };
}

/** Each candidate fitted on the cutoffs whose labels are known by the latest one, judged on it. */
function chooseLearner(
  train: readonly Snapshot[],
  horizonMs: number,
  candidates: readonly Learner[],
): { learner: Learner; validation: TrainResult["validation"] } {
  // A loop, not Math.max(...rows): spreading ~125,000 rows (×16 the data set) overflows the call stack.
  const latest = train.reduce((m, s) => Math.max(m, s.cutoff), -Infinity);
  const fitRows = train.filter((s) => s.cutoff + horizonMs <= latest && s.cutoff < latest);
  const checkRows = train.filter((s) => s.cutoff === latest);
  if (candidates.length === 1 || fitRows.length === 0) return { learner: candidates[0]!, validation: [] };
  const labels = checkRows.map((s) => s.label);
  const validation = candidates.map((learner) => {
    const m = fitWith(
      learner,
      fitRows.map((s) => s.x),
      fitRows.map((s) => s.label),
    );
    const p = checkRows.map((s) => predictWith(m, s.x));
    return { learner, result: { learner: describeLearner(learner), auc: auc(p, labels), log_loss: logLoss(p, labels) } };
  });
  const best = validation.reduce((a, b) => (b.result.log_loss < a.result.log_loss ? b : a));
  return { learner: best.learner, validation: validation.map((v) => v.result) };
}
