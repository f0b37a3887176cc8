import type { JsonObject } from "./json";
import { scoreProperty } from "./segments/compile";

/** A profile's propensity per prediction, with the model version that produced it. */
export type Scores = Record<string, { score: number; pct: number; model: string; at: number }>;

export function scoresMoved(before: Scores, next: Scores): boolean {
  const changed = (id: string) => {
    const a = before[id];
    const b = next[id]!;
    return a?.score !== b.score || a.pct !== b.pct || a.model !== b.model;
  };
  return Object.keys(next).some(changed) || Object.keys(before).some((id) => !(id in next));
}

/** What cohort clauses see as user properties: the profile's own, plus its scores. */
export function withScores(properties: JsonObject, scores: Readonly<Record<string, { score: number; pct: number }>> | undefined): JsonObject {
  if (scores === undefined) return properties;
  const props: JsonObject = { ...properties };
  for (const [id, s] of Object.entries(scores)) {
    props[scoreProperty(id, "score")] = s.score;
    props[scoreProperty(id, "pct")] = s.pct;
  }
  return props;
}

/** A score's percentile (0–100) among the training holdout's scores. */
export function percentile(quantiles: readonly number[], score: number): number {
  if (quantiles.length === 0) return 0;
  let lo = 0;
  let hi = quantiles.length - 1;
  if (score < quantiles[0]!) return 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (quantiles[mid]! <= score) lo = mid;
    else hi = mid - 1;
  }
  return Math.round((lo * 100) / (quantiles.length - 1));
}
