import { featureVector } from "../../core/features";
import type { JsonObject } from "../../core/json";
import { scoreProperty, type CompiledSegments } from "../../core/segments/compile";
import type { SegmentEngine } from "../../core/segments/engine";
import { modelSession, percentile } from "./models";
import { scoreRows } from "./ort";

/** A profile's propensity per prediction, with the model version that produced it. */
export type Scores = Record<string, { score: number; pct: number; model: string; at: number }>;

/** Scores every served prediction from the engine's current feature values. */
export async function computeScores(env: Pick<Env, "ARCHIVE">, compiled: CompiledSegments, engine: SegmentEngine, now: number): Promise<Scores> {
  const scores: Scores = {};
  for (const p of compiled.predictions) {
    if (p.population !== undefined && !engine.member(p.population)) continue; // outside the population: no score
    const values = p.features.map((i) => engine.value(i, now));
    const [score] = await scoreRows(await modelSession(env, p), [featureVector(p.model.spec, values, now)]);
    scores[p.id] = { score: score!, pct: percentile(p.model.quantiles, score!), model: p.model.id, at: now };
  }
  return scores;
}

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
