import type { ContentfulStatusCode } from "hono/utils/http-status";
import { parseSegmentBody, SEGMENT_SUCCESS, segmentError, segmentEvents, type SegmentErrorBody, type SegmentType } from "../../core/formats/segment";
import { createApp } from "../app";
import { readBody } from "../body";
import { WireError } from "../errors";
import { ingestCors, ingestProject, mediaTypeOf, retryAfter, storeEvents } from "../ingest-pipeline";

/**
 * Segment's HTTP Tracking API, which RudderStack's SDKs speak too. Thin: the format
 * lives in core/formats/segment.ts, delivery in ingest-pipeline.ts.
 */
export const segmentRoutes = createApp();

/** RudderStack's data plane takes up to 4 MB (Segment's own limit is 500 KB). */
const MAX_BYTES = 4_000_000;
const ENDPOINTS: Record<string, SegmentType | "batch"> = {
  "/v1/batch": "batch",
  "/v1/track": "track",
  "/v1/identify": "identify",
  "/v1/page": "page",
  "/v1/screen": "screen",
  "/v1/alias": "alias",
  "/v1/group": "group",
  // analytics.js (analytics-next) posts each call to the type's first letter, as Segment's API accepts.
  "/v1/b": "batch",
  "/v1/t": "track",
  "/v1/i": "identify",
  "/v1/p": "page",
  "/v1/s": "screen",
  "/v1/a": "alias",
  "/v1/g": "group",
};
/**
 * analytics.js posts `text/plain` (no CORS preflight); RudderStack's Node SDK posts a
 * gzip Buffer, which axios labels `application/x-www-form-urlencoded`. All carry JSON.
 */
const MEDIA_TYPES = new Set(["application/json", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream", ""]);

const fail = (status: ContentfulStatusCode, body: SegmentErrorBody, headers: Record<string, string> = {}) => new WireError(status, body, body.message, headers);

/** The write key from `Authorization: Basic base64(<write key>:)`, null when absent, or an error. */
function basicUser(header: string | undefined): string | null | WireError {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return null;
  try {
    const decoded = atob(match[1]!);
    const colon = decoded.indexOf(":");
    return colon < 0 ? decoded : decoded.slice(0, colon);
  } catch {
    return fail(401, segmentError("unauthorized", "Malformed Basic credentials"));
  }
}

for (const [path, endpoint] of Object.entries(ENDPOINTS)) {
  segmentRoutes.use(path, ingestCors);
  segmentRoutes.post(path, async (c) => {
    const mediaType = mediaTypeOf(c.req.raw);
    if (!MEDIA_TYPES.has(mediaType)) throw fail(400, segmentError("invalid_request", `Unsupported Content-Type: ${mediaType} (send JSON)`));
    const body = await readBody(c.req.raw, MAX_BYTES);
    // Segment answers an oversized request with 400 too; the code says which.
    if (!body.ok) throw fail(400, segmentError(body.reason === "too_large" ? "payload_too_large" : "invalid_request", body.message));
    const envelope = parseSegmentBody(body.text, endpoint);
    if (!envelope.ok) throw fail(400, envelope.body);

    const fromHeader = basicUser(c.req.header("authorization"));
    if (fromHeader instanceof WireError) throw fromHeader;
    const writeKey = fromHeader || envelope.value.writeKey;
    if (!writeKey)
      throw fail(400, segmentError("invalid_request", "Missing write key: send Authorization: Basic base64(<write key>:) or writeKey in the body"));
    const projectId = await ingestProject(c.env, writeKey);
    if (projectId === null) throw fail(401, segmentError("unauthorized", "Invalid write key"));

    const now = Date.now();
    const events = segmentEvents(envelope.value, now, () => crypto.randomUUID());
    if (!events.ok) throw fail(400, events.body);
    const outcome = await storeEvents(c.env, c.executionCtx, projectId, events.value, "batchThrottle");
    if (outcome.status === "unavailable")
      throw fail(503, segmentError("unavailable", "Service temporarily unavailable: retry"), retryAfter(outcome.retryAfterMs));
    if (outcome.status === "throttled") {
      const body = segmentError("rate_limited", "Too many events for some users or devices: retry later", { throttled_indices: outcome.report.eventIndices });
      throw fail(429, body, retryAfter(outcome.retryAfterMs));
    }
    return c.json(SEGMENT_SUCCESS, 200);
  });
}
