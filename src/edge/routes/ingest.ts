import { toTailorEvent } from "../../core/amplitude/event";
import { ERRORS, errorBody, successBody, throttledBody } from "../../core/amplitude/responses";
import { parseEnvelope, validateEvents } from "../../core/amplitude/upload";
import { createApp, errorStyle } from "../app";
import { readBody } from "../body";
import { AmplitudeError } from "../errors";
import { ingestCors, ingestProject, mediaTypeOf, retryAfter, storeEvents } from "../ingest-pipeline";

/** The two Amplitude upload endpoints differ only in limits (HTTP V2 vs Batch API). */
const ENDPOINTS = {
  "/2/httpapi": { maxBytes: 1_000_000, maxEvents: 2_000, throttle: "throttle" },
  "/batch": { maxBytes: 20_000_000, maxEvents: 2_000, throttle: "batchThrottle" },
} as const;

export const ingest = createApp();

const JSON_TYPES = new Set(["application/json", "text/plain"]);

for (const [path, spec] of Object.entries(ENDPOINTS)) {
  ingest.use(path, errorStyle("amplitude"));
  ingest.use(path, ingestCors);
  ingest.post(path, async (c) => {
    // text/plain too: the browser SDK's beacon transport (sendBeacon with a string, on page exit) can send nothing else.
    if (!JSON_TYPES.has(mediaTypeOf(c.req.raw))) throw new AmplitudeError(errorBody(400, ERRORS.contentType));

    const body = await readBody(c.req.raw, spec.maxBytes);
    if (!body.ok) {
      throw new AmplitudeError(body.reason === "too_large" ? errorBody(413, ERRORS.tooLarge) : errorBody(400, body.message));
    }
    const envelope = parseEnvelope(body.text, spec.maxEvents);
    if (!envelope.ok) throw new AmplitudeError(envelope.body);
    const { apiKey, events: wire, minIdLength } = envelope.value;

    const projectId = await ingestProject(c.env, apiKey);
    if (projectId === null) throw new AmplitudeError(errorBody(400, `${ERRORS.invalidApiKey}: ${apiKey}`));

    const valid = validateEvents(wire, minIdLength);
    if (!valid.ok) throw new AmplitudeError(valid.body);

    const now = Date.now();
    const events = valid.value.map((e) => toTailorEvent(e, crypto.randomUUID(), now));
    const outcome = await storeEvents(c.env, c.executionCtx, projectId, events, spec.throttle);
    if (outcome.status === "unavailable") throw new AmplitudeError(errorBody(503, ERRORS.unavailable), retryAfter(outcome.retryAfterMs));
    if (outcome.status === "throttled") {
      throw new AmplitudeError(throttledBody(outcome.report), retryAfter(outcome.retryAfterMs));
    }
    return c.json(successBody(events.length, body.bytes, now), 200);
  });
}
