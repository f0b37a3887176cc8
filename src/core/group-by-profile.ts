import { profileKey, profileRefOf, type ProfileRef, type TailorEvent } from "./event";

export interface ProfileBatch {
  ref: ProfileRef;
  /** Positions of these events in the request, for per-event error reports. */
  indices: number[];
  events: TailorEvent[];
}

/** Splits a request's events by the profile each belongs to, keeping request order. */
export function groupByProfile(events: readonly TailorEvent[]): ProfileBatch[] {
  const batches = new Map<string, ProfileBatch>();
  events.forEach((event, index) => {
    const ref = profileRefOf(event);
    const key = profileKey(ref);
    let batch = batches.get(key);
    if (batch === undefined) {
      batch = { ref, indices: [], events: [] };
      batches.set(key, batch);
    }
    batch.indices.push(index);
    batch.events.push(event);
  });
  return [...batches.values()];
}
