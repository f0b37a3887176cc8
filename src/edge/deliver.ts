import type { Admission } from "../core/active-profiles";
import type { ThrottleReport } from "../core/amplitude/responses";
import type { ProfileRef, TailorEvent } from "../core/event";
import { groupByProfile } from "../core/group-by-profile";
import type { ThrottleLimits } from "../core/throttle";
import { profileStub } from "../durable/stub";

export type DeliveryOutcome =
  | { status: "ok" }
  | { status: "throttled"; report: ThrottleReport; retryAfterMs: number }
  /**
   * Resend after `retryAfterMs`: refused before any profile was addressed (the server is at
   * its bound), or a profile failed (what the others stored is deduplicated on resend).
   */
  | { status: "unavailable"; retryAfterMs: number; error?: unknown };

/** A failed delivery may be resent at once; SDKs back off on their own. */
const FAILED_RETRY_MS = 1_000;

/**
 * Hands each profile its events — one RPC per profile, all in parallel — and answers
 * once every profile has made them durable. A profile over its rate refuses all of its
 * events; the others are stored (resending them is a no-op thanks to insert_id).
 * `admit` may refuse the whole request before any profile is addressed (admission.ts).
 */
export async function deliver(
  env: Pick<Env, "USER_PROFILE">,
  projectId: string,
  events: readonly TailorEvent[],
  limits: ThrottleLimits,
  definitionsVersion?: number,
  admit: (refs: ProfileRef[]) => Admission = () => ({ ok: true }),
): Promise<DeliveryOutcome> {
  const batches = groupByProfile(events);
  const admission = admit(batches.map((b) => b.ref));
  if (!admission.ok) return { status: "unavailable", retryAfterMs: admission.retryAfterMs };
  const results = await Promise.allSettled(
    batches.map((batch) =>
      profileStub(env, projectId, batch.ref).ingest({
        projectId,
        profile: batch.ref,
        events: batch.events,
        limits,
        definitionsVersion,
      }),
    ),
  );
  const report: ThrottleReport = { epsThreshold: limits.eventsPerSecond, users: {}, devices: {}, eventIndices: [] };
  let retryAfterMs = 0;
  let failure: unknown;
  results.forEach((result, i) => {
    const batch = batches[i]!;
    if (result.status === "rejected") {
      failure ??= result.reason;
      return;
    }
    if (result.value.status !== "throttled") return;
    (batch.ref.kind === "user" ? report.users : report.devices)[batch.ref.id] = result.value.eps;
    report.eventIndices.push(...batch.indices);
    retryAfterMs = Math.max(retryAfterMs, result.value.retryAfterMs);
  });
  if (failure !== undefined) return { status: "unavailable", retryAfterMs: FAILED_RETRY_MS, error: failure };
  if (report.eventIndices.length > 0) {
    report.eventIndices.sort((a, b) => a - b);
    return { status: "throttled", report, retryAfterMs };
  }
  return { status: "ok" };
}
