import { holdoutSchema } from "../holdout";
import { z } from "zod";

/**
 * Destinations (where audiences go) and syncs (what goes, when). A destination's
 * `credentials` are write-only: the admin API never returns them.
 */
export const destinationSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("webhook"),
    url: z.url(),
    /** Standard Webhooks signing secret (`whsec_…`); generated when omitted. */
    credentials: z.object({ signing_secret: z.string().min(10) }).optional(),
  }),
  z.object({
    type: z.literal("braze"),
    /** The REST endpoint of the Braze instance, e.g. https://rest.iad-01.braze.com. */
    base_url: z.url(),
    /** The custom attribute set per cohort (default `cohort_<cohort id>`). */
    attribute: z.string().min(1).max(255).optional(),
    credentials: z.object({ api_key: z.string().min(1) }),
  }),
  z.object({
    type: z.literal("hubspot"),
    base_url: z.url().default("https://api.hubapi.com"),
    list_id: z.string().min(1),
    /** The user property holding the HubSpot record id (`user_id` = the user id itself). */
    id_property: z.string().min(1).default("hubspot_id"),
    credentials: z.object({ access_token: z.string().min(1) }),
  }),
  z.object({
    type: z.literal("klaviyo"),
    base_url: z.url().default("https://a.klaviyo.com"),
    list_id: z.string().min(1),
    revision: z.string().default("2024-10-15"),
    /** The user property holding the Klaviyo profile id (`user_id` = the user id itself). */
    id_property: z.string().min(1).default("klaviyo_id"),
    credentials: z.object({ api_key: z.string().min(1) }),
  }),
  z.object({
    type: z.literal("facebook"),
    base_url: z.url().default("https://graph.facebook.com"),
    api_version: z
      .string()
      .regex(/^v\d+\.\d+$/)
      .default("v21.0"),
    audience_id: z.string().min(1),
    /** The user property holding the email (normalised and SHA-256 hashed before sending). */
    email_property: z.string().min(1).default("email"),
    credentials: z.object({ access_token: z.string().min(1) }),
  }),
  /** Each run's changes as a file in R2 (listed, with download links, under the sync). */
  z.object({ type: z.literal("r2_export"), format: z.enum(["csv", "ndjson"]).default("ndjson") }),
]);
export type Destination = z.infer<typeof destinationSchema>;

export const SCHEDULES = ["manual", "minute", "hourly", "daily"] as const;

/** Destinations that take values (attributes, payloads, files); list destinations only take memberships. */
export const VALUE_DESTINATIONS = ["webhook", "braze", "r2_export"] as const;

export const syncSchema = z.object({
  destination_id: z.string().min(1),
  /**
   * A cohort's enter/exit changes, or the values of computed properties and prediction
   * scores for the cohort's members (sent when they change; cleared when a member leaves).
   */
  what: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("cohort"), cohort_id: z.string().min(1) }),
    z
      .object({
        kind: z.literal("properties"),
        cohort_id: z.string().min(1),
        computations: z
          .array(z.object({ id: z.string().min(1), as: z.string().min(1).max(255).optional() }))
          .max(50)
          .default([]),
        predictions: z
          .array(z.object({ id: z.string().min(1), on: z.enum(["score", "pct"]).default("pct"), as: z.string().min(1).max(255).optional() }))
          .max(20)
          .default([]),
      })
      .refine((w) => w.computations.length + w.predictions.length > 0, { message: "name at least one computation or prediction", path: ["computations"] }),
  ]),
  schedule: z.enum(SCHEDULES).default("hourly"),
  batch_size: z.number().int().min(1).max(10_000).default(1000),
  /** Cohort syncs: a stable share of the members never sent, whose goal conversions against those sent measure the sync's lift. */
  holdout: holdoutSchema.prefault({}),
});
export type Sync = z.infer<typeof syncSchema>;

const CRON_TICK_MS = 60_000;

/** A sync's latest run: when it started, and how many runs in a row have failed up to it. */
export interface LastRun {
  at: number;
  failedInARow: number;
}

/**
 * How long after its last run a sync is due: its cadence, or sooner after failures — 1,
 * 4, 16, 64 … minutes — so a daily sync whose destination was down retries within the
 * hour, not the next day (a failed run resumes where it stopped: nothing is sent twice).
 */
export function dueAfterMs(schedule: Exclude<Sync["schedule"], "manual">, failedInARow: number): number {
  const every = everyMs(schedule);
  return failedInARow === 0 ? every : Math.min(every, 60_000 * 4 ** (failedInARow - 1));
}

/** When the every-minute cron will next start this sync (null: manual only). Agrees with isDue. */
export function nextRunAt(schedule: Sync["schedule"], last: LastRun | null, now: number): number | null {
  if (schedule === "manual") return null;
  const earliest = last === null ? now : Math.max(now, last.at + dueAfterMs(schedule, last.failedInARow) - DUE_SLACK_MS);
  return Math.ceil(earliest / CRON_TICK_MS) * CRON_TICK_MS;
}

const everyMs = (schedule: Exclude<Sync["schedule"], "manual">) => (schedule === "minute" ? 60_000 : schedule === "hourly" ? 3_600_000 : 86_400_000);
/** A little slack so a cron tick a few seconds early still counts. */
const DUE_SLACK_MS = 5_000;

/** Is a sync with this schedule due at `now`, given its last run? (cron fires every minute) */
export function isDue(schedule: Sync["schedule"], last: LastRun | null, now: number): boolean {
  if (schedule === "manual") return false;
  if (last === null) return true;
  return now - last.at >= dueAfterMs(schedule, last.failedInARow) - DUE_SLACK_MS;
}
