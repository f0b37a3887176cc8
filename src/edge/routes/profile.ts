import type { Context } from "hono";
import { etag, RETAINED_304_HEADERS } from "hono/etag";
import { z } from "zod";
import { profileKey, type ProfileRef } from "../../core/event";
import { globalAssignment } from "../../core/project";
import { personalizeKey, sameDigest, userHash } from "../../core/identity-verification";
import { globalControlRec } from "../../core/recommendations/result";
import { userProfileBody, type ProfileQuery } from "../../core/profile-response";
import { profileStub } from "../../durable/stub";
import { readConfig } from "../../core/config";
import { admitProfiles } from "../../core/admission";
import { createApp, type AppEnv } from "../app";
import { db } from "../db";
import { retryAfter } from "../ingest-pipeline";
import { projectForIngestKey, projectForSecretKey } from "../keys";
import { personalizeAnswer, rateLimited } from "../personalize";
import { projectSettings } from "../project-settings";

/**
 * The read path: Amplitude's User Profile API (secret key, server-side) and a
 * browser-safe personalize endpoint (public key, only what the project made public).
 * Steady state: cached key and settings lookups, then one RPC to the profile.
 */
export const profileRoutes = createApp();

const RATE_LIMITED = { error: "Number of requests per minute exceeds system limit. Contact Support if you need this limit raised" };
const UNKNOWN_USER = { error: "User id and device id not seen before" };

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const list = z.string().transform((v) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
);
const querySchema = z.object({
  user_id: z.string().min(1).optional(),
  device_id: z.string().min(1).optional(),
  get_amp_props: bool.default(false),
  get_cohort_ids: bool.default(false),
  get_computations: bool.default(false),
  comp_id: list.optional(),
  get_propensity: bool.default(false),
  prediction_id: list.optional(),
  propensity_type: z.enum(["score", "pct"]).default("score"),
  get_recs: bool.default(false),
  rec_id: list.optional(),
  rec_type: z.enum(["model", "random", "popular"]).optional(),
  /** false: the answer is not shown to the user (a prefetch, a server check), so it is not measured. */
  exposure: bool.default(true),
});

/** Amplitude answers bad requests with `{"error": "..."}`. */
function badRequest(c: Context<AppEnv>, error: string) {
  return c.json({ error }, 400);
}

function refOf(q: { user_id?: string | undefined; device_id?: string | undefined }): ProfileRef {
  return q.user_id !== undefined ? { kind: "user", id: q.user_id } : { kind: "device", id: q.device_id! };
}

/** 503 with Retry-After when the server is at its bound of active profiles (admission.ts); null when admitted. */
function unavailable(c: Context<AppEnv>, projectId: string, ref: ProfileRef) {
  const admission = admitProfiles(readConfig(c.env), projectId, [ref]);
  if (admission.ok) return null;
  return c.json({ error: "Service temporarily unavailable: retry after the Retry-After delay" }, 503, retryAfter(admission.retryAfterMs));
}

profileRoutes.get("/v1/userprofile", async (c) => {
  const auth = /^Api-Key\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  if (!auth) return c.text("Missing Api-Key in Authorization header", 401);
  const projectId = await projectForSecretKey(db(c.env), auth[1]!);
  if (projectId === null) return c.text("Invalid Api-Key", 401);
  if (await rateLimited(c.env, projectId)) return c.json(RATE_LIMITED, 429);

  const parsed = querySchema.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return badRequest(c, `Invalid parameter ${issue.path.join(".")}: ${issue.message}`);
  }
  const p = parsed.data;
  if (p.user_id === undefined && p.device_id === undefined) return badRequest(c, "Either user_id or device_id must be set");
  if (p.get_recs && (p.rec_id ?? []).length === 0) return badRequest(c, "rec_id is required when get_recs is true");
  if (p.get_propensity && (p.prediction_id ?? []).length === 0) return badRequest(c, "prediction_id is required when get_propensity is true");

  const query: ProfileQuery = {
    ampProps: p.get_amp_props,
    cohortIds: p.get_cohort_ids,
    computations: p.get_computations,
    compIds: p.comp_id ?? [],
    propensity: p.get_propensity ? { predictionIds: p.prediction_id!, type: p.propensity_type } : null,
    // Asking for rec_id implies get_recs (Amplitude's own examples omit get_recs).
    recs: p.get_recs || p.rec_id !== undefined ? { recIds: p.rec_id ?? [], type: p.rec_type ?? null } : null,
  };
  const needsSegments = query.cohortIds || query.computations || query.compIds.length > 0;
  const ref = refOf(p);
  const global = globalAssignment((await projectSettings(db(c.env), projectId)).global_control, projectId, profileKey(ref), p.exposure);
  // A forced variant (rec_type) is not the user's own assignment: it is not measured either. The global control group gets no lists.
  const recs =
    query.recs === null || global.control ? undefined : { ids: query.recs.recIds, override: query.recs.type, shown: p.exposure && query.recs.type === null };
  const busy = unavailable(c, projectId, ref);
  if (busy !== null) return busy;
  const read = await profileStub(c.env, projectId, ref).read(needsSegments, recs, global.exposure);
  if (read === null) return c.json(UNKNOWN_USER, 400);
  const body = userProfileBody(query, {
    user_id: read.profile.user_id,
    device_id: read.profile.device_id,
    user_properties: read.profile.user_properties,
    cohort_ids: read.segments?.cohort_ids ?? [],
    computations: read.segments?.computations ?? {},
    scores: read.scores,
    recommendations: global.control ? (query.recs?.recIds ?? []).map(globalControlRec) : read.recommendations,
  });
  if (global.control) body.userData.global_control = true;
  return c.json(body);
});

const personalizeSchema = z.object({
  api_key: z.string().min(1),
  user_id: z.string().min(1).optional(),
  device_id: z.string().min(1).optional(),
  /** Secure mode: hex HMAC-SHA256 of user_id under the project's personalize key. */
  user_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, "64 hex digits")
    .optional(),
  exposure: bool.default(true),
});

/** CORS by the project's allowlist; the key is public, the data is what the project made public. */
async function personalizeContext(c: Context<AppEnv>) {
  const apiKey = c.req.query("api_key");
  const projectId = apiKey ? await projectForIngestKey(db(c.env), apiKey) : null;
  const settings = projectId === null ? null : await projectSettings(db(c.env), projectId);
  const origin = c.req.header("origin");
  const origins = settings?.personalize.origins ?? [];
  const allowed = origin !== undefined && (origins.includes("*") || origins.includes(origin));
  if (allowed) {
    c.header("Access-Control-Allow-Origin", origins.includes("*") ? "*" : origin);
    // A page's script revalidates with the ETag (If-None-Match), so it must be able to read it.
    c.header("Access-Control-Expose-Headers", "ETag");
    c.header("Vary", "Origin");
  }
  return { projectId, settings, originRefused: origin !== undefined && !allowed };
}

profileRoutes.options("/v1/personalize", async (c) => {
  const { originRefused } = await personalizeContext(c);
  if (originRefused) return c.body(null, 403);
  c.header("Access-Control-Allow-Methods", "GET, OPTIONS");
  c.header("Access-Control-Allow-Headers", "If-None-Match");
  c.header("Access-Control-Max-Age", "600");
  return c.body(null, 204);
});

/** Secure mode's check (core/identity-verification.ts): null when the request may read, else why not. */
async function unverified(
  env: Env,
  projectId: string,
  mode: { required: boolean; allow_device_ids: boolean; rotation: number },
  q: { user_id?: string | undefined; user_hash?: string | undefined },
): Promise<string | null> {
  if (!mode.required) return null;
  if (q.user_id === undefined) return mode.allow_device_ids ? null : "this project requires a verified user_id (anonymous device ids are not allowed)";
  if (q.user_hash === undefined) return "this project requires user_hash, HMAC-SHA256 of user_id under its personalize key";
  const expected = await userHash(await personalizeKey(env.CREDENTIALS_KEY, projectId, mode.rotation), q.user_id);
  return sameDigest(expected, q.user_hash.toLowerCase()) ? null : "user_hash does not match user_id";
}

// A 304 keeps its CORS headers: without them a page's revalidation fails in the browser.
const PERSONALIZE_ETAG = etag({ weak: false, retainedHeaders: [...RETAINED_304_HEADERS, "access-control-allow-origin", "access-control-expose-headers"] });

profileRoutes.get("/v1/personalize", PERSONALIZE_ETAG, async (c) => {
  const { projectId, settings, originRefused } = await personalizeContext(c);
  c.header("Cache-Control", "private, no-cache");
  if (originRefused) return c.json({ error: { code: "forbidden", message: "This origin is not in the project's personalize allowlist" } }, 403);
  const parsed = personalizeSchema.safeParse(c.req.query());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return c.json(
      {
        error: {
          code: "invalid_request",
          message: `${issue.path.join(".")}: ${issue.message}`,
          details: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })),
        },
      },
      400,
    );
  }
  if (projectId === null || settings === null) return c.json({ error: { code: "unauthorized", message: "Invalid api_key" } }, 401);
  const q = parsed.data;
  if (q.user_id === undefined && q.device_id === undefined) {
    return c.json(
      {
        error: {
          code: "invalid_request",
          message: "Either user_id or device_id must be set",
          details: [{ field: "user_id", message: "required unless device_id is set" }],
        },
      },
      400,
    );
  }
  if (await rateLimited(c.env, projectId)) return c.json(RATE_LIMITED, 429);
  const refused = await unverified(c.env, projectId, settings.personalize.identity_verification, q);
  if (refused !== null) return c.json({ error: { code: "unauthorized", message: refused, details: [{ field: "user_hash", message: refused }] } }, 401);
  const ref = refOf(q);
  const busy = unavailable(c, projectId, ref);
  if (busy !== null) return busy;
  return c.json(await personalizeAnswer(c.env, projectId, settings, ref, q.exposure));
});
