import type { ContentfulStatusCode } from "hono/utils/http-status";
import { formData, parsePostHogBody, POSTHOG_SUCCESS, posthogError, posthogEvents, type PostHogErrorBody } from "../../core/formats/posthog";
import { createApp } from "../app";
import { readBody } from "../body";
import { WireError } from "../errors";
import { ingestCors, ingestProject, mediaTypeOf, retryAfter, storeEvents } from "../ingest-pipeline";

/**
 * PostHog's capture endpoints. `/batch/` keeps its trailing slash (what the SDKs send):
 * `/batch` without it is Amplitude's Batch API. Thin: the format lives in
 * core/formats/posthog.ts, delivery in ingest-pipeline.ts.
 */
export const posthogRoutes = createApp();

const PATHS = ["/batch/", "/capture/", "/capture", "/e/", "/e", "/i/v0/e/", "/i/v0/e"];
/** PostHog's batch limit. */
const MAX_BYTES = 20_000_000;
const MEDIA_TYPES = new Set(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]);

const fail = (status: ContentfulStatusCode, body: PostHogErrorBody, headers: Record<string, string> = {}) => new WireError(status, body, body.detail, headers);
const invalid = (detail: string) => fail(400, posthogError("validation_error", "invalid_payload", detail));

for (const path of PATHS) {
  posthogRoutes.use(path, ingestCors);
  posthogRoutes.post(path, async (c) => {
    const mediaType = mediaTypeOf(c.req.raw);
    if (!MEDIA_TYPES.has(mediaType)) throw invalid(`Unsupported Content-Type: ${mediaType} (send JSON)`);
    const compression = c.req.query("compression");
    const body = await readBody(c.req.raw, MAX_BYTES, { gzip: compression === "gzip-js" || compression === "gzip" });
    if (!body.ok) {
      throw body.reason === "too_large" ? fail(413, posthogError("validation_error", "payload_too_large", body.message)) : invalid(body.message);
    }
    const text = mediaType === "application/x-www-form-urlencoded" && !/^\s*[[{]/.test(body.text) ? formData(body.text) : body.text;
    if (text === null) throw invalid("Malformed request data: expected data=<JSON or base64 JSON>");
    const envelope = parsePostHogBody(text);
    if (!envelope.ok) throw fail(400, envelope.body);

    const apiKey = envelope.value.apiKey ?? c.req.query("api_key") ?? c.req.query("token");
    if (!apiKey) {
      throw fail(
        401,
        posthogError("authentication_error", "missing_api_key", "API key not provided: send api_key in the body (the project's Tailor ingest key)"),
      );
    }
    const projectId = await ingestProject(c.env, apiKey);
    if (projectId === null)
      throw fail(401, posthogError("authentication_error", "invalid_api_key", "Project API key invalid: use the project's Tailor ingest key"));

    const now = Date.now();
    const events = posthogEvents(envelope.value, now, () => crypto.randomUUID());
    if (!events.ok) throw fail(400, events.body);
    const outcome = await storeEvents(c.env, c.executionCtx, projectId, events.value, "batchThrottle");
    if (outcome.status === "unavailable")
      throw fail(503, posthogError("server_error", "unavailable", "Service temporarily unavailable: retry"), retryAfter(outcome.retryAfterMs));
    if (outcome.status === "throttled") {
      const body = posthogError("rate_limited", "rate_limited", "Too many events for some users or devices: retry later");
      throw fail(429, body, retryAfter(outcome.retryAfterMs));
    }
    return c.json(POSTHOG_SUCCESS, 200);
  });
}
