import type { ProfileRef } from "../core/event";
import type { JsonObject } from "../core/json";
import type { SegmentSummary } from "./profile-segments";
import type { Scores } from "../core/scores";

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

/**
 * The stored layout of the state row (its `version` column). A change of what a field
 * means bumps it and adds the step that upgrades a row of the version before; rows are
 * upgraded as they are read, and written back at the current version.
 */
export const STATE_VERSION = 1;

type StoredBody = Record<string, unknown>;
const UPGRADES: Readonly<Record<number, (body: StoredBody) => StoredBody>> = {
  // 0 → 1: rows written before the layout had a version; the counters and cursors every
  // later step counts on get their starting values where a row lacks them.
  0: (body) => ({ properties: {}, eventCount: 0, lastSeq: 0, archivedThrough: 0, ...body }),
};

/** The upgraded state of a stored row; a row newer than this code is refused (a rollback must not rewrite it). */
export function upgradeState(body: StoredBody, version: number): ProfileState {
  if (version > STATE_VERSION) throw new Error(`profile state version ${version} is newer than this code's (${STATE_VERSION}): run the newer Tailor`);
  let upgraded = body;
  for (let v = version; v < STATE_VERSION; v++) upgraded = UPGRADES[v]!(upgraded);
  return upgraded as unknown as ProfileState;
}

export function loadState(sql: SqlStorage): ProfileState | undefined {
  const row = sql.exec<{ body: string; version: number }>("SELECT body, version FROM state WHERE id = 1").toArray()[0];
  return row ? upgradeState(JSON.parse(row.body) as StoredBody, row.version) : undefined;
}

export function saveState(sql: SqlStorage, state: ProfileState): void {
  sql.exec(
    "INSERT INTO state (id, body, version) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, version = excluded.version",
    JSON.stringify(state),
    STATE_VERSION,
  );
}
