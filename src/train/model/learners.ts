import { fitGbdt, predictGbdt, type FittedGbdt, type GbdtOptions } from "./gbdt";
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

/** Per feature, how much the model leans on it: standardised weights, or each feature's share of the trees' split gain. */
export function importanceOf(m: Fitted): number[] {
  if (m.kind === "logistic") return m.model.standardizedWeights;
  const total = m.model.gain.reduce((a, b) => a + b, 0) || 1;
  return m.model.gain.map((g) => g / total);
}

export function describeLearner(l: Learner): string {
  return l.kind === "logistic" ? `logistic regression (L2 ${l.l2})` : `boosted trees (${l.trees} trees, depth ${l.depth}, rate ${l.learningRate})`;
}
