import { fitGbdt, gbdtMargin, predictGbdt, type FittedGbdt, type GbdtOptions } from "./gbdt";
import { fitLogistic, predict, type FittedLogistic } from "./logistic-regression";

/** The model families a prediction may be trained with; the validation window picks one. */
export type Learner = { kind: "logistic"; l2: number } | ({ kind: "gbdt" } & Partial<GbdtOptions>);
export type Fitted = { kind: "logistic"; model: FittedLogistic } | { kind: "gbdt"; model: FittedGbdt };

export const CANDIDATES: readonly Learner[] = [
  { kind: "logistic", l2: 1 },
  { kind: "gbdt", trees: 300, depth: 3, learningRate: 0.04, minLeaf: 60 },
  { kind: "gbdt", trees: 200, depth: 5, learningRate: 0.04, minLeaf: 120 },
];

export function fitWith(learner: Learner, x: readonly (readonly number[])[], y: readonly number[]): Fitted {
  if (learner.kind === "logistic") return { kind: "logistic", model: fitLogistic(x, y, { l2: learner.l2 }) };
  const { kind: _, ...options } = learner;
  return { kind: "gbdt", model: fitGbdt(x, y, options) };
}

export function predictWith(m: Fitted, x: readonly number[]): number {
  return m.kind === "logistic" ? predict(m.model, x) : predictGbdt(m.model, x);
}

/** The model's log-odds for a row. */
function marginOf(m: Fitted, x: readonly number[]): number {
  return m.kind === "logistic" ? m.model.weights.reduce((s, w, j) => s + w * x[j]!, m.model.bias) : gbdtMargin(m.model, x);
}

/**
 * Platt scaling on recent rows: a · margin + b, fitted on those rows' labels, folded into
 * the model (the weights and bias, or the trees' leaves and base), so the served
 * probabilities match the rate of the window closest to now and the export is unchanged.
 */
export function calibrated(m: Fitted, x: readonly (readonly number[])[], y: readonly number[]): Fitted {
  const platt = fitLogistic(
    x.map((row) => [marginOf(m, row)]),
    y,
    { l2: 1e-6 },
  );
  const a = platt.weights[0]!;
  const b = platt.bias;
  if (m.kind === "logistic") {
    const model = { ...m.model, weights: m.model.weights.map((w) => a * w), bias: a * m.model.bias + b };
    return { kind: "logistic", model };
  }
  const trees = m.model.trees.map((t) => ({ ...t, value: t.value.map((v) => a * v) }));
  return { kind: "gbdt", model: { ...m.model, base: a * m.model.base + b, trees } };
}

/** Per feature, how much the model leans on it: standardised weights, or each feature's share of the trees' split gain. */
export function importanceOf(m: Fitted): number[] {
  if (m.kind === "logistic") return m.model.standardizedWeights;
  const total = m.model.gain.reduce((a, b) => a + b, 0) || 1;
  return m.model.gain.map((g) => g / total);
}

export function describeLearner(l: Learner): string {
  return l.kind === "logistic" ? `logistic regression (L2 ${l.l2})` : `boosted trees (${l.trees} trees, depth ${l.depth}, rate ${l.learningRate})`;
}
