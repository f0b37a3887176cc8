import { currentDefinitions } from "../db/definitions-cache";
import { unknownRec, type RecResult } from "../core/recommendations/result";
import { recommend } from "./recommend";

/** Recommendations for a visitor with no profile: the definitions' cold-user fallback. */
export async function coldRecommendations(env: Pick<Env, "DB" | "ARCHIVE">, projectId: string, ids: readonly string[]): Promise<RecResult[]> {
  if (ids.length === 0) return [];
  const compiled = await currentDefinitions(env, projectId);
  return Promise.all(
    ids.map((id) => {
      const rec = compiled.recommendations.find((r) => r.id === id);
      // No profile, no control group: the split is for profiles whose outcome can be measured.
      return rec === undefined ? unknownRec(id) : recommend(env, rec, "", null, "model");
    }),
  );
}
