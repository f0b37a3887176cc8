import type { FeatureSpec } from "../core/features";
import { atTop, auc, calibration, logLoss, quantiles, rocCurve, scoreHistogram, type CalibrationBin, type ScoreBin } from "./metrics";
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
  /** Fitted on the training cutoffs: what the holdout judges. */
  model: FittedLogistic;
  /**
   * Refitted with the holdout cutoff's rows too, so the latest labelled window (the
   * season closest to now) shapes the served probabilities: what is published.
   */
  published: FittedLogistic;
  baseline: { features: string[]; model: FittedLogistic };
  holdout: { model: Quality; baseline: Quality };
  /** |weight| on standardised features, largest first. */
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
 * Time-based split: snapshots at the holdout cutoff evaluate; earlier cutoffs (whose label
 * windows end before it) train. The baseline is trained and evaluated the same way.
 */
export function trainPrediction(spec: FeatureSpec, snapshots: readonly Snapshot[], holdoutCutoff: number, l2 = 1): TrainResult {
  const train = snapshots.filter((s) => s.cutoff < holdoutCutoff);
  const holdout = snapshots.filter((s) => s.cutoff === holdoutCutoff);
  if (train.length === 0 || holdout.length === 0) throw new Error(`not enough data: ${train.length} training and ${holdout.length} holdout rows`);
  const names = spec.features.map((f) => f.name);
  const y: number[] = train.map((s) => s.label);
  const model = fitLogistic(train.map((s) => s.x), y, { l2 });
  const cols = BASELINE.map((n) => names.indexOf(n));
  const pick = (x: number[]) => cols.map((c) => x[c]!);
  const baseline = fitLogistic(train.map((s) => pick(s.x)), y, { l2 });

  const yh: number[] = holdout.map((s) => s.label);
  const p = holdout.map((s) => predict(model, s.x));
  const published = fitLogistic([...train, ...holdout].map((s) => s.x), [...y, ...yh], { l2 });
  const pb = holdout.map((s) => predict(baseline, pick(s.x)));
  return {
    features: names,
    model,
    published,
    baseline: { features: BASELINE, model: baseline },
    holdout: { model: quality(p, yh), baseline: quality(pb, yh) },
    importance: names.map((feature, j) => ({ feature, weight: model.standardizedWeights[j]! })).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)),
    quantiles: quantiles(holdout.map((s) => predict(published, s.x))),
    rows: { train: train.length, holdout: holdout.length, train_positive_rate: y.reduce((a, b) => a + b, 0) / y.length },
    trainCutoffs: [...new Set(train.map((s) => s.cutoff))].sort(),
    holdoutCutoff,
  };
}
