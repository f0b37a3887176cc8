import type { ThrottleLimits } from "./throttle";

/** Runtime settings, read from the Worker's vars (wrangler.toml [vars]). */
export interface TailorConfig {
  retentionMs: number;
  /** Per-profile limits of /2/httpapi and of /batch (Amplitude: 30 and 1,000 events/s). */
  throttle: ThrottleLimits;
  batchThrottle: ThrottleLimits;
  archiveFlushMs: number;
  /** How long a client-chosen insert_id is remembered (Amplitude: 7 days). */
  dedupeMs: number;
  /** The registry row in D1 is refreshed at most this often per profile. */
  registryRefreshMs: number;
  /**
   * At most `bound` distinct profiles addressed per `windowMs` (active-profiles.ts), or null
   * for no bound. Set for the local server, whose memory holds every resident profile; on
   * Cloudflare profiles are spread over the network and the platform does this itself.
   */
  activeProfiles: { bound: number; windowMs: number } | null;
}

export interface ConfigVars {
  EVENT_RETENTION_DAYS?: string;
  THROTTLE_EPS?: string;
  THROTTLE_WINDOW_SECONDS?: string;
  BATCH_THROTTLE_EPS?: string;
  ARCHIVE_FLUSH_SECONDS?: string;
  MAX_ACTIVE_PROFILES?: string;
  ACTIVE_PROFILE_SECONDS?: string;
}

const DAY = 86_400_000;

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

export function readConfig(vars: ConfigVars): TailorConfig {
  const windowSeconds = positive(vars.THROTTLE_WINDOW_SECONDS, 30, "THROTTLE_WINDOW_SECONDS");
  const maxActive =
    vars.MAX_ACTIVE_PROFILES === undefined || vars.MAX_ACTIVE_PROFILES === "0" ? undefined : positive(vars.MAX_ACTIVE_PROFILES, 0, "MAX_ACTIVE_PROFILES");
  return {
    retentionMs: positive(vars.EVENT_RETENTION_DAYS, 90, "EVENT_RETENTION_DAYS") * DAY,
    throttle: { eventsPerSecond: positive(vars.THROTTLE_EPS, 30, "THROTTLE_EPS"), windowSeconds },
    batchThrottle: { eventsPerSecond: positive(vars.BATCH_THROTTLE_EPS, 1000, "BATCH_THROTTLE_EPS"), windowSeconds },
    archiveFlushMs: positive(vars.ARCHIVE_FLUSH_SECONDS, 30, "ARCHIVE_FLUSH_SECONDS") * 1000,
    dedupeMs: 7 * DAY,
    registryRefreshMs: 3_600_000,
    activeProfiles: maxActive === undefined ? null : { bound: maxActive, windowMs: positive(vars.ACTIVE_PROFILE_SECONDS, 12, "ACTIVE_PROFILE_SECONDS") * 1000 },
  };
}
