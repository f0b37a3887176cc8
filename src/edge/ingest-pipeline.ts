import { cors } from "hono/cors";
import { readConfig } from "../core/config";
import type { ProfileRef, TailorEvent } from "../core/event";
import { admitProfiles } from "../core/admission";
import { db } from "./db";
import { deliver, type DeliveryOutcome } from "./deliver";
import { definitionsVersionOf } from "./definitions-version";
import { catalogWrites } from "./catalog-store";
import { AppError } from "./errors";
import { projectForIngestKey } from "./keys";

/**
 * The tail every ingestion format shares (Amplitude, Segment/RudderStack, PostHog):
 * each route reads and validates its own wire format, maps it to `TailorEvent`s, and
 * hands them here. Only the answer's shape differs per format.
 */
export type Throttle = "throttle" | "batchThrottle";

/** The project of a public ingest key, or null (cached per isolate). */
export function ingestProject(env: Env, apiKey: string): Promise<string | null> {
  return projectForIngestKey(db(env), apiKey);
}

/**
 * Delivers validated events to their profiles; resolves once every accepted event is
 * durable. A delivery failure is logged here, so routes only pick their status code.
 */
export async function storeEvents(
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  projectId: string,
  events: readonly TailorEvent[],
  throttle: Throttle,
): Promise<DeliveryOutcome> {
  const version = await definitionsVersionOf(db(env), projectId);
  const config = readConfig(env);
  const outcome = await deliver(env, projectId, events, config[throttle], version, (refs) => admitProfiles(config, projectId, refs));
  if (outcome.status === "unavailable" && outcome.error !== undefined) console.error("ingest delivery failed", outcome.error);
  // The names the events used, for the admin UI's pickers: written after the answer, and
  // only when this isolate has not written them lately (most requests schedule nothing).
  const write = outcome.status === "unavailable" ? null : catalogWrites(db(env), projectId, events);
  if (write !== null) ctx.waitUntil(write().catch((err: unknown) => console.error("catalog write failed", projectId, err)));
  return outcome;
}

/**
 * Browser SDKs post cross-origin; ingest keys are public, so any origin may send. The
 * headers are what the SDKs send: RudderStack's browser SDK adds AnonymousId and SentAt
 * (without them in the preflight answer, the browser sends none of its events).
 */
export const ingestCors = cors({
  origin: "*",
  allowMethods: ["POST", "OPTIONS"],
  allowHeaders: ["Content-Type", "Content-Encoding", "Accept", "Authorization", "AnonymousId", "SentAt"],
  maxAge: 86_400,
});

/** The request's media type, lower-cased, without parameters ("" when absent). */
export function mediaTypeOf(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** `Retry-After` (whole seconds) for a throttled or unavailable delivery. */
export function retryAfter(retryAfterMs: number): Record<string, string> {
  return { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) };
}

/** For admin reads that wake profiles: a 503 with Retry-After when the server is at its bound of active profiles (admission.ts). */
export function requireAdmission(env: Env, projectId: string, refs: readonly ProfileRef[]): void {
  const admission = admitProfiles(readConfig(env), projectId, refs);
  if (!admission.ok)
    throw new AppError(503, "unavailable", "The server is at its bound of active profiles: retry", undefined, retryAfter(admission.retryAfterMs));
}
