import type { RecSource } from "./select";

/** One recommendation in Amplitude's User Profile API shape (a type, so it is plain JSON). */
export type RecResult = {
  rec_id: string;
  child_rec_id: string;
  items: string[];
  is_control: boolean;
  recommendation_source: RecSource;
  /** When the list was computed, epoch seconds (null when there is nothing to serve). */
  last_updated: number | null;
};

/** The answer for a user in the project's global control group: no personalization, and it says so. */
export function globalControlRec(recId: string): RecResult {
  return { rec_id: recId, child_rec_id: recId, items: [], is_control: true, recommendation_source: "global_control", last_updated: null };
}

/** The answer for a recommendation that is unknown or has no trained model yet. */
export function unknownRec(recId: string): RecResult {
  return { rec_id: recId, child_rec_id: recId, items: [], is_control: false, recommendation_source: "none", last_updated: null };
}
