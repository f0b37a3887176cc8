import { mulberry32 } from "../../../src/core/hash";
import type { TailorEvent } from "../../../src/core/event";
import type { JsonObject } from "../../../src/core/json";
import { compileDefinitions, type DefinitionSet } from "../../../src/core/segments/compile";
import { emptySnapshot, SegmentEngine } from "../../../src/core/segments/engine";
import { cohortDefinitionSchema, computationSchema } from "../../../src/core/segments/schema";

let uuid = 0;
export function ev(event_type: string, time: number, event_properties: JsonObject = {}, user_properties: JsonObject = {}): TailorEvent {
  return { uuid: `e${uuid++}`, event_type, time, received_at: time, event_properties, user_properties, user_id: "user-1" };
}

/** Parses raw definitions through the real schemas (defaults and normalisation included). */
export function definitions(raw: { computations?: Record<string, unknown>; cohorts?: Record<string, unknown> }): DefinitionSet {
  return {
    version: "1",
    computations: Object.entries(raw.computations ?? {}).map(([id, d]) => ({ id, definition: computationSchema.parse(d) })),
    cohorts: Object.entries(raw.cohorts ?? {}).map(([id, d]) => ({ id, definition: cohortDefinitionSchema.parse(d) })),
  };
}

export function engineFor(set: DefinitionSet): SegmentEngine {
  return new SegmentEngine(compileDefinitions(set), emptySnapshot());
}

/** A small seeded PRNG (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  const draw = mulberry32(seed);
  return () => draw() / 4294967296;
}
