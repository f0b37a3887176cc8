import type { ProfileRef } from "../core/event";
import type { JsonObject } from "../core/json";
import type { SegmentSummary } from "./profile-segments";
import type { Scores } from "./scoring/profile-scores";

/** Everything about a profile that is not an event, kept as one row (read once, written per ingest). */
export interface ProfileState {
  projectId: string;
  profile: ProfileRef;
  /** For a device profile: the user its history moved to, and where its new events go. */
  linkedUser?: string;
  properties: JsonObject;
  eventCount: number;
  firstSeen?: number;
  lastSeen?: number;
  lastDeviceId?: string;
  registryWrittenAt?: number;
  /** The last event sequence number given out (never reused). */
  lastSeq: number;
  /** Events with seq up to here are in the R2 archive. */
  archivedThrough: number;
  /**
   * Events before this instant may have been pruned (they are in the archive objects of
   * archive_objects); from it on, every event is kept. Unset while nothing was pruned.
   */
  prunedBefore?: number;
  /** Computed values, cohort flags and static memberships (stream states have their own rows). */
  segments?: SegmentSummary;
  /** The latest propensity per prediction, by the model version that produced it. */
  scores?: Scores;
}

export function loadState(sql: SqlStorage): ProfileState | undefined {
  const row = sql.exec<{ body: string }>("SELECT body FROM state WHERE id = 1").toArray()[0];
  return row ? (JSON.parse(row.body) as ProfileState) : undefined;
}

export function saveState(sql: SqlStorage, state: ProfileState): void {
  sql.exec(
    "INSERT INTO state (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body",
    JSON.stringify(state),
  );
}
