import { z } from "zod";
import { backfillJobs, cohortExports, cohorts, deletionJobs, reconcileRuns, syncRuns } from "../../../db/schema";
import { TRAINING_KINDS, TRAINING_STATUSES } from "../../../core/training-jobs";
import { epochMs } from "../../api-contract";

/**
 * What the admin API answers, as schemas: each route's contract names one, the OpenAPI
 * document shows them, and test runs hold every answer to them (api-contract.ts).
 * Objects are open: a client must ignore fields it does not know, so adding one is not a
 * breaking change.
 */

const nullableMs = epochMs.nullable();
const nullableNumber = z.number().nullable(); // NaN (no data yet) is written as null

export const projectSummary = z.looseObject({
  id: z.string(),
  name: z.string(),
  created_at: epochMs,
  /** The public ingestion key (browser SDKs); null once revoked and none issued. */
  api_key: z.string().nullable(),
  /** The first characters of the secret key: the key itself is shown once, when issued. */
  secret_key_prefix: z.string().nullable(),
});

export const issuedKey = z.looseObject({ kind: z.enum(["ingest", "secret"]), key: z.string() });

export const backfillStarted = z.looseObject({ id: z.string(), total: z.number().int() }).optional().describe("the backfill this write started");

/** Names a definition uses that the project's events never have (warnings, not errors). */
export const nameWarnings = z.array(z.looseObject({ path: z.string(), message: z.string() }));

export const definitionView = z.looseObject({
  id: z.string(),
  project: z.string(),
  name: z.string(),
  description: z.string(),
  /** The kind's definition; a destination's credentials are never shown. */
  definition: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  status: z.enum(cohorts.status.enumValues),
  created_at: epochMs,
  updated_at: epochMs,
  /** Cohorts: members in the membership index. */
  size: z.number().int().optional(),
  /** Cohorts in a list: entries and exits over the last 7 days. */
  trend_7d: z.looseObject({ entered: z.number().int(), exited: z.number().int() }).optional(),
  /** Syncs in a list. */
  failing: z.boolean().optional(),
  last_run_at: nullableMs.optional(),
  next_run_at: nullableMs.optional(),
});

export const definitionWritten = definitionView.extend({
  backfill: backfillStarted,
  /** Segmentation kinds: names the definition uses that the project's events never have. */
  warnings: nameWarnings.optional(),
  /** A new webhook destination's signing secret: shown in this answer only. */
  signing_secret: z.string().optional(),
});

export const syncRun = z.looseObject({
  id: z.string(),
  status: z.enum(syncRuns.status.enumValues),
  sent: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  last_error: z.string().nullable(),
});

export const syncRunLogged = syncRun.extend({ started_at: epochMs, finished_at: nullableMs });

const interval = z.looseObject({ estimate: nullableNumber, low: nullableNumber, high: nullableNumber });
const arm = z.looseObject({ users: z.number().int(), conversions: z.number().int(), rate: interval, value_per_user: interval.nullable() });

/** Treatment against control among exposed users (core/lift.ts), and their daily counts. */
export const exposurePerformance = z.looseObject({
  report: z.looseObject({
    treatment: arm,
    control: arm,
    absolute: interval.nullable(),
    relative: interval.nullable(),
    p_value: nullableNumber,
    sequential: interval.extend({ winner: z.enum(["treatment", "control"]).nullable() }).nullable(),
    value_difference: interval.nullable(),
  }),
  daily: z.array(z.looseObject({ day: z.string().describe("UTC date, YYYY-MM-DD") })),
});

const servedRecommendationQuality = z.looseObject({
  lists: z.number().int(),
  users: z.number().int(),
  hit_rate: nullableNumber,
  ndcg: nullableNumber,
});

/** A model version's quality on what users were served and did next. */
export const servedView = z.looseObject({
  resolved: z.number().int(),
  open: z.number().int(),
  next_resolution_at: nullableMs,
  prediction: z
    .looseObject({
      users: z.number().int(),
      positive_rate: z.number(),
      auc: nullableNumber,
      log_loss: nullableNumber,
      precision_at_10pct: nullableNumber,
      calibration: z.array(z.looseObject({ decile: z.number().int(), count: z.number().int(), predicted: z.number(), actual: z.number() })),
    })
    .nullable(),
  recommendation: z.looseObject({ all: servedRecommendationQuality, by_source: z.record(z.string(), servedRecommendationQuality) }).nullable(),
});

export const modelView = z.looseObject({
  id: z.string(),
  owner_kind: z.enum(TRAINING_KINDS),
  owner_id: z.string(),
  version: z.number().int(),
  active: z.boolean(),
  r2_key: z.string(),
  /** The trainer's own evaluation (holdout, baselines); `served` is the product's. */
  metrics: z.unknown(),
  served: servedView.nullable(),
  created_at: epochMs,
});

export const trainingJob = z.looseObject({
  id: z.string(),
  project_id: z.string(),
  kind: z.enum(TRAINING_KINDS),
  owner_id: z.string(),
  status: z.enum(TRAINING_STATUSES),
  requested_at: epochMs,
  started_at: nullableMs,
  finished_at: nullableMs,
  claimed_by: z.string().nullable(),
  heartbeat_at: nullableMs,
  attempts: z.number().int(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  model_id: z.string().nullable(),
  model_version: z.number().int().nullable(),
});

export const backfillView = z.looseObject({
  id: z.string(),
  definitions_version: z.number().int(),
  status: z.enum(backfillJobs.status.enumValues),
  processed: z.number().int(),
  total: z.number().int(),
  failures: z.number().int(),
  failed_profiles: z.array(z.string()),
  retry_rounds: z.number().int(),
  last_error: z.string().nullable(),
  started_at: epochMs,
  updated_at: epochMs,
  finished_at: nullableMs,
});

export const reconciliationView = z.looseObject({
  id: z.string(),
  status: z.enum(reconcileRuns.status.enumValues),
  checked: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  skipped: z.number().int(),
  failures: z.number().int(),
  last_error: z.string().nullable(),
  started_at: epochMs,
  updated_at: epochMs,
  finished_at: nullableMs,
});

export const exportView = z.looseObject({
  id: z.string(),
  cohort_id: z.string(),
  status: z.enum(cohortExports.status.enumValues),
  rows: z.number().int().nullable(),
  with_props: z.boolean(),
  failed_attempts: z.number().int(),
  failures: z.number().int(),
  failed_profiles: z.array(z.string()),
  last_error: z.string().nullable(),
  created_at: epochMs,
  finished_at: nullableMs,
});

export const deletionView = z.looseObject({
  id: z.string(),
  status: z.enum(deletionJobs.status.enumValues),
  phase: z.enum(deletionJobs.phase.enumValues),
  requester: z.string().nullable(),
  profiles: z.array(z.looseObject({ profile_key: z.string(), requested_ids: z.array(z.string()), erased_at: nullableMs })),
  skipped_ids: z.array(z.string()),
  archive: z.looseObject({ objects_scanned: z.number().int(), objects_rewritten: z.number().int(), lines_removed: z.number().int() }),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  created_at: epochMs,
  updated_at: epochMs,
  finished_at: nullableMs,
});

const itemDetail = z.looseObject({
  id: z.string(),
  label: z.string().nullable().describe("the item's name: the definition's label_property, or its name/title/description"),
  props: z.record(z.string(), z.unknown()).describe("its last seen item-event properties, from the active model's catalogue"),
});

export const recommendationAnswer = z.looseObject({
  rec_id: z.string(),
  child_rec_id: z.string(),
  items: z.array(z.string()),
  is_control: z.boolean(),
  recommendation_source: z.string(),
  last_updated: z.number().nullable().describe("epoch seconds"),
  /** The admin API's answers: each listed item with its name. */
  item_details: z.array(itemDetail).optional(),
});

export const userLookup = z.looseObject({
  profile: z.looseObject({
    project_id: z.string(),
    user_id: z.string().nullable(),
    device_id: z.string().nullable(),
    device_ids: z.array(z.string()),
    user_properties: z.record(z.string(), z.unknown()),
    event_count: z.number().int(),
    first_seen: nullableMs,
    last_seen: nullableMs,
  }),
  segments: z.looseObject({ cohort_ids: z.array(z.string()), computations: z.record(z.string(), z.unknown()) }).nullable(),
  scores: z.record(z.string(), z.looseObject({ score: z.number(), pct: z.number(), at: epochMs })),
  recommendations: z.array(recommendationAnswer),
  events: z.array(z.record(z.string(), z.unknown())),
});

const observedProperty = z.looseObject({ name: z.string(), seen: z.number().int(), values: z.array(z.string()).describe("JSON-encoded, most seen first") });

export const catalogView = z.looseObject({
  events: z.array(z.looseObject({ name: z.string(), seen: z.number().int(), last_seen: epochMs })),
  event_properties: z.record(z.string(), z.array(observedProperty)).describe("per event type"),
  user_properties: z.array(observedProperty),
});
