import type { RecResult } from "./recommendations/result";
import type { Json, JsonObject } from "./json";

/**
 * Amplitude's User Profile API response, built from what the profile holds. Each part
 * is present only when asked for (null otherwise), as Amplitude answers.
 */
export interface ProfileQuery {
  ampProps: boolean;
  cohortIds: boolean;
  computations: boolean;
  /** Single computations asked for by comp_id (comma-separated in the query). */
  compIds: string[];
  propensity: { predictionIds: string[]; type: "score" | "pct" } | null;
  recs: { recIds: string[]; type: "model" | "random" | "popular" | null } | null;
}

export interface ProfileFacts {
  user_id: string | null;
  device_id: string | null;
  user_properties: JsonObject;
  cohort_ids: string[];
  computations: Record<string, Json>;
  /** Propensity per prediction id: score 0–1 and percentile 0–100. */
  scores: Record<string, { score: number; pct: number }>;
  /** Recommendations as asked for, in Amplitude's shape. */
  recommendations: RecResult[];
}

/** Amplitude returns computed values as strings under `computed-prop-<id>` in amp_props. */
function computedValue(value: Json): string | null {
  if (value === null) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function userProfileBody(q: ProfileQuery, f: ProfileFacts) {
  const wanted = q.computations ? Object.keys(f.computations) : q.compIds;
  let ampProps: JsonObject | null = null;
  if (q.ampProps || wanted.length > 0) {
    ampProps = q.ampProps ? { ...f.user_properties } : {};
    for (const id of wanted) ampProps[`computed-prop-${id}`] = id in f.computations ? computedValue(f.computations[id]!) : null;
  }
  const userData: Record<string, Json> = {
    recommendations: q.recs === null ? null : f.recommendations,
    user_id: f.user_id,
    device_id: f.device_id,
    amp_props: ampProps,
    cohort_ids: q.cohortIds ? f.cohort_ids : null,
  };
  if (q.propensity !== null) {
    // A prediction without a trained model (or an unknown id) answers null.
    const type = q.propensity.type;
    const value = (id: string) => {
      const s = f.scores[id];
      return s === undefined ? null : type === "score" ? s.score : s.pct;
    };
    userData.propensity = value(q.propensity.predictionIds[0]!);
    userData.propensities = q.propensity.predictionIds.map((id) => ({ prop: value(id), pred_id: id, prop_type: type }));
  }
  return { userData };
}
