/** Holdout metrics for a binary predictor: what the README and the admin charts report. */

/** Area under the ROC curve (ties count half), by ranking. */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const idx = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const rank = (i + j + 1) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++)
      if (idx[k]![1] === 1) {
        positives++;
        rankSum += rank;
      }
    i = j;
  }
  const negatives = idx.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function logLoss(probabilities: readonly number[], labels: readonly number[]): number {
  const eps = 1e-15;
  let sum = 0;
  probabilities.forEach((p, i) => {
    const q = Math.min(1 - eps, Math.max(eps, p));
    sum += labels[i] === 1 ? -Math.log(q) : -Math.log(1 - q);
  });
  return sum / probabilities.length;
}

export interface CalibrationBin {
  decile: number;
  count: number;
  predicted: number;
  actual: number;
}

/** Predicted vs actual rate by decile of predicted probability (decile 10 = highest). */
export function calibration(probabilities: readonly number[], labels: readonly number[]): CalibrationBin[] {
  const order = probabilities.map((_, i) => i).sort((a, b) => probabilities[a]! - probabilities[b]!);
  const bins: CalibrationBin[] = [];
  for (let d = 0; d < 10; d++) {
    const slice = order.slice(Math.floor((d * order.length) / 10), Math.floor(((d + 1) * order.length) / 10));
    if (slice.length === 0) continue;
    const mean = (f: (i: number) => number) => slice.reduce((s, i) => s + f(i), 0) / slice.length;
    bins.push({ decile: d + 1, count: slice.length, predicted: mean((i) => probabilities[i]!), actual: mean((i) => labels[i]!) });
  }
  return bins;
}

/** Precision and recall among the top `fraction` of scores. */
export function atTop(scores: readonly number[], labels: readonly number[], fraction: number): { precision: number; recall: number } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const k = Math.max(1, Math.round(order.length * fraction));
  const hits = order.slice(0, k).reduce((s, i) => s + labels[i]!, 0);
  const positives = labels.reduce((s, l) => s + l, 0);
  return { precision: hits / k, recall: positives === 0 ? NaN : hits / positives };
}

/** Score quantiles (0..100), for turning a score into a percentile at the edge. */
export function quantiles(scores: readonly number[]): number[] {
  const sorted = [...scores].sort((a, b) => a - b);
  return Array.from({ length: 101 }, (_, q) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * (sorted.length - 1)))] ?? 0);
}

/**
 * The ROC curve as [false positive rate, true positive rate] points from (0,0) to (1,1),
 * one per distinct score threshold, thinned to at most `points` + 1 (for the admin charts).
 */
export function rocCurve(scores: readonly number[], labels: readonly number[], points = 50): [number, number][] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = labels.reduce((s, l) => s + l, 0);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return [];
  const curve: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; ) {
    const s = scores[order[i]!]!;
    while (i < order.length && scores[order[i]!] === s) {
      if (labels[order[i]!] === 1) tp++;
      else fp++;
      i++;
    }
    curve.push([fp / negatives, tp / positives]);
  }
  if (curve.length <= points + 1) return curve;
  const step = (curve.length - 1) / points;
  return Array.from({ length: points + 1 }, (_, k) => curve[Math.round(k * step)]!);
}

export interface ScoreBin {
  from: number;
  to: number;
  count: number;
  positives: number;
}

/** How many holdout scores fall in each of `bins` equal bins over [0, 1], and how many of them were positive. */
export function scoreHistogram(scores: readonly number[], labels: readonly number[], bins = 20): ScoreBin[] {
  const out = Array.from({ length: bins }, (_, i) => ({ from: i / bins, to: (i + 1) / bins, count: 0, positives: 0 }));
  scores.forEach((s, i) => {
    const bin = out[Math.min(bins - 1, Math.max(0, Math.floor(s * bins)))]!;
    bin.count++;
    bin.positives += labels[i] === 1 ? 1 : 0;
  });
  return out;
}
