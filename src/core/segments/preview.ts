import type { TailorEvent } from "../event";
import type { JsonObject } from "../json";
import type { CompiledSegments } from "./compile";
import { emptySnapshot, SegmentEngine } from "./engine";

/** One sampled profile as a preview replays it: its stored events and its properties. */
export interface SampledProfile {
  events: readonly TailorEvent[];
  properties: JsonObject;
}

export interface SizeEstimate {
  sampled: number;
  matched: number;
  /** matched / sampled × profiles, rounded. */
  estimate: number;
  profiles: number;
}

/**
 * How many profiles a not-yet-saved cohort would hold, estimated from a random sample:
 * each sampled profile's stored events are replayed through the same engine profiles
 * run, at `now`. Static cohorts it refers to count as not joined.
 */
export function estimateCohortSize(
  compiled: CompiledSegments,
  cohortId: string,
  sample: readonly SampledProfile[],
  profiles: number,
  now: number,
): SizeEstimate {
  let matched = 0;
  for (const p of sample) {
    const engine = new SegmentEngine(compiled, emptySnapshot());
    engine.ingest(
      [...p.events].sort((a, b) => a.time - b.time),
      now,
      p.properties,
      true,
    );
    engine.tick(now, p.properties);
    if (engine.member(cohortId)) matched++;
  }
  return { sampled: sample.length, matched, estimate: sample.length === 0 ? 0 : Math.round((matched / sample.length) * profiles), profiles };
}
