import { featureVector } from "../core/features";
import { percentile, type Scores } from "../core/scores";
import type { CompiledSegments } from "../core/segments/compile";
import type { SegmentEngine } from "../core/segments/engine";
import { modelSession } from "./prediction-models";
import { scoreRows } from "./ort";

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
