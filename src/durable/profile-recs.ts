import { profileKey } from "../core/event";
import type { CompiledSegments } from "../core/segments/compile";
import type { SegmentEngine } from "../core/segments/engine";
import type { ProfileState } from "./profile-state";
import type { RecsQuery } from "./rpc";
import { unknownRec, type RecResult } from "../core/recommendations/result";
import { recommend } from "../serving/recommend";

/** Lists kept per profile; a read after any new event (or model, or definition) recomputes. */
const KEPT = 32;

/**
 * A profile's recommendations, fresh after every event: ranked from the live item
 * history its segment engine keeps, and remembered until the history, the definitions
 * or the model move (a read without a new event costs no inference).
 */
export function profileRecommendations() {
  const cache = new Map<string, RecResult>();
  return {
    /** An erased profile starts again from sequence 0: nothing of the old lists may answer. */
    forget(): void {
      cache.clear();
    },
    async read(env: Pick<Env, "ARCHIVE">, state: ProfileState, compiled: CompiledSegments, engine: SegmentEngine, q: RecsQuery): Promise<RecResult[]> {
      return Promise.all(
        q.ids.map(async (id) => {
          const rec = compiled.recommendations.find((r) => r.id === id);
          if (rec === undefined) return unknownRec(id);
          const key = `${id}|${rec.model?.id}|${compiled.version}|${state.lastSeq}|${q.override}`;
          const hit = cache.get(key);
          if (hit !== undefined) return hit;
          const interacted = engine.frequencies(rec.interacted);
          const history = {
            interacted: interacted.map(([v]) => v),
            counts: interacted.map(([, n]) => n),
            converted: engine.frequencies(rec.converted).map(([v]) => v),
          };
          const result = await recommend(env, rec, profileKey(state.profile), history, q.override);
          if (cache.size >= KEPT) cache.clear();
          cache.set(key, result);
          return result;
        }),
      );
    },
  };
}
