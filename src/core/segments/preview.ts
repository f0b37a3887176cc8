import type { TailorEvent } from "../event";
import { wilson, Z95 } from "../lift";
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
  /** Every profile was read: `estimate` is the size. */
  exact: boolean;
  /** Where the size lies with 95 % confidence (equal to the estimate when exact). */
  low: number;
  high: number;
}

/**
 * The 95 % interval of a cohort's size from `matched` of `sampled` profiles drawn without
 * replacement from `profiles`: Wilson's interval with the finite population correction
 * (it shrinks to the estimate as the sample nears the whole), and never below the members
 * seen nor above all but the non-members seen.
 */
export function sizeInterval(matched: number, sampled: number, profiles: number): { low: number; high: number } {
  if (sampled === 0) return { low: 0, high: profiles };
  const fpc = profiles > 1 ? Math.max(0, (profiles - sampled) / (profiles - 1)) : 0;
  if (fpc === 0) return { low: matched, high: matched };
  const rate = wilson(matched, sampled, Z95 * Math.sqrt(fpc));
  return {
    low: Math.max(matched, Math.floor(rate.low * profiles)),
    high: Math.min(profiles - (sampled - matched), Math.ceil(rate.high * profiles)),
  };
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
  const sampled = sample.length;
  const exact = sampled >= profiles;
  return {
    sampled,
    matched,
    estimate: exact ? matched : sampled === 0 ? 0 : Math.round((matched / sampled) * profiles),
    profiles,
    exact,
    ...sizeInterval(matched, sampled, Math.max(profiles, sampled)),
  };
}
