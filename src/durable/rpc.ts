import type { ProfileRef, TailorEvent } from "../core/event";
import type { Json, JsonObject } from "../core/json";
import type { ThrottleLimits } from "../core/throttle";
import type { RecResult } from "../core/recommendations/result";
import type { HoldoutExposure } from "../core/holdout";
import type { EraseRequest, EraseResult } from "./profile-erasure";
import type { RecOverride } from "../serving/recommend";

/** What the edge sends a profile: events already validated and normalised, in order. */
export interface IngestRequest {
  projectId: string;
  profile: ProfileRef;
  events: TailorEvent[];
  /** The endpoint's per-profile rate (HTTP V2 and Batch differ). */
  limits: ThrottleLimits;
  /** The project's definitions version as the edge last saw it (saves each profile a D1 read). */
  definitionsVersion?: number;
}

export type IngestResult =
  | { status: "ok"; accepted: number; duplicates: number }
  /** Nothing was stored; `eps` is the rate the profile would have reached. */
  | { status: "throttled"; retryAfterMs: number; eps: number };

/** A profile as the read APIs see it. */
export interface ProfileView {
  project_id: string;
  user_id: string | null;
  device_id: string | null;
  device_ids: string[];
  user_properties: JsonObject;
  event_count: number;
  first_seen: number | null;
  last_seen: number | null;
}

/** A profile's segmentation as of now. */
export interface SegmentView {
  cohort_ids: string[];
  computations: Record<string, Json>;
}

export interface ProfileRead {
  profile: ProfileView;
  segments: SegmentView | null;
  /** Propensity per prediction id (score 0–1, percentile 0–100, when it was computed). */
  scores: Record<string, { score: number; pct: number; at: number }>;
  /** The recommendations asked for, in the order asked. */
  recommendations: RecResult[];
}

/** Which recommendations a read wants, and Amplitude's `rec_type` override. */
export interface RecsQuery {
  ids: string[];
  override: RecOverride;
  /** The answer is shown to the user (so it is measured: served windows); false for previews, lookups and `exposure=false`. */
  shown: boolean;
}

/** What a device hands over the first time it is linked to a user. */
export interface DeviceHistory {
  properties: JsonObject;
  events: TailorEvent[];
  /** The device's archive objects, and the instant before which it pruned events (they are only there). */
  archive: string[];
  prunedBefore?: number;
}

/**
 * The UserProfile RPC surface. Callers use this instead of the inferred stub type:
 * TypeScript cannot expand Rpc types over the recursive JSON types.
 */
export interface UserProfileRpc {
  ingest(req: IngestRequest): Promise<IngestResult>;
  linkTo(projectId: string, deviceId: string, userId: string): Promise<DeviceHistory>;
  getProfile(): Promise<ProfileView | null>;
  getEvents(limit?: number, afterSeq?: number): Promise<TailorEvent[]>;
  getRecentEvents(limit?: number): Promise<TailorEvent[]>;
  refresh(): Promise<{ version: string } | null>;
  setStaticMembership(projectId: string, profile: ProfileRef, cohortId: string, member: boolean): Promise<void>;
  getSegments(): Promise<SegmentView | null>;
  /**
   * The cohorts this profile has told (or is telling) the D1 index it is in; `pending`
   * while membership changes still wait in its outbox. Null for no profile, or a device
   * linked to a user (whose memberships the user holds).
   */
  indexedCohorts(): Promise<{ cohort_ids: string[]; pending: boolean } | null>;
  read(withSegments: boolean, recs?: RecsQuery, global?: HoldoutExposure): Promise<ProfileRead | null>;
  /** Records this profile's exposure to a measured holdout (a sync's) unless it has one; false for an unknown profile. */
  expose(ownerId: string, exposure: HoldoutExposure): Promise<boolean>;
  erase(req?: EraseRequest): Promise<EraseResult>;
}
