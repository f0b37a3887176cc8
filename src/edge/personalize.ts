import { profileKey, type ProfileRef } from "../core/event";
import type { Json } from "../core/json";
import { globalAssignment, type ProjectSettings } from "../core/project";
import { globalControlRec } from "../core/recommendations/result";
import { coldRecommendations } from "../serving/cold-recommendations";
import { profileStub } from "../durable/stub";

/** The read APIs' per-project limit (PROFILE_RATE_LIMITER in wrangler.toml). */
export async function rateLimited(env: Env, projectId: string): Promise<boolean> {
  const { success } = await env.PROFILE_RATE_LIMITER.limit({ key: projectId });
  return !success;
}

/** What a page may know of its visitor: only the cohorts, values and recommendations the project made public. */
export interface PersonalizeAnswer {
  cohorts: Record<string, boolean>;
  computations: Record<string, Json | null>;
  recommendations: { rec_id: string; items: string[]; is_control: boolean; recommendation_source: string }[];
  global_control?: true;
}

/**
 * A visitor's personalization (the visitor already verified and admitted): one read of
 * its profile. `exposure` says the answer is shown, so it is measured (served windows,
 * the lift's exposures). Read by /v1/personalize and by pages rendered at the edge.
 */
export async function personalizeAnswer(
  env: Env,
  projectId: string,
  settings: ProjectSettings,
  ref: ProfileRef,
  exposure: boolean,
): Promise<PersonalizeAnswer> {
  const pub = settings.personalize;
  const global = globalAssignment(settings.global_control, projectId, profileKey(ref), exposure);
  const recs = { ids: global.control ? [] : pub.recommendations, override: null, shown: exposure };
  // The global control group gets nothing personal: no lists, every flag false, no values.
  const wantsSegments = !global.control && pub.cohorts.length + pub.computations.length > 0;
  const read = await profileStub(env, projectId, ref).read(wantsSegments, recs, global.exposure);
  // A visitor never seen gets the cold-user answer (the fallback), computed here.
  const recommendations = global.control
    ? pub.recommendations.map(globalControlRec)
    : (read?.recommendations ?? (await coldRecommendations(env, projectId, recs.ids)));
  const cohortIds = new Set(read?.segments?.cohort_ids ?? []);
  const computations = read?.segments?.computations ?? {};
  // Unknown visitors get the same shape (all flags false): the answer reveals nothing about who exists.
  return {
    cohorts: Object.fromEntries(pub.cohorts.map((id) => [id, cohortIds.has(id)])),
    computations: Object.fromEntries(pub.computations.map((id) => [id, computations[id] ?? null])),
    recommendations: recommendations.map(publicRec),
    ...(global.control ? { global_control: true as const } : {}),
  };
}

/** A recommendation as a page sees it (no model ids, no timestamps). */
const publicRec = (r: PersonalizeAnswer["recommendations"][number]) => ({
  rec_id: r.rec_id,
  items: r.items,
  is_control: r.is_control,
  recommendation_source: r.recommendation_source,
});

/** A visitor with no id yet (no analytics cookie): no flags, no values, the recommendations' cold-user answer. */
export async function anonymousAnswer(env: Env, projectId: string, settings: ProjectSettings): Promise<PersonalizeAnswer> {
  const pub = settings.personalize;
  const recommendations = await coldRecommendations(env, projectId, pub.recommendations);
  return {
    cohorts: Object.fromEntries(pub.cohorts.map((id) => [id, false])),
    computations: Object.fromEntries(pub.computations.map((id) => [id, null])),
    recommendations: recommendations.map(publicRec),
  };
}
