import { isJsonObject, type Json } from "../json";
import { type Problem, type ValidEvent, validateEvent } from "./event";
import { type AmplitudeErrorBody, ERRORS, errorBody, type FieldIndices } from "./responses";

export const DEFAULT_MIN_ID_LENGTH = 5;

export interface Envelope {
  apiKey: string;
  events: Json[];
  minIdLength: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; status: number; body: AmplitudeErrorBody };

const fail = (status: number, body: AmplitudeErrorBody) => ({ ok: false, status, body }) as const;

/**
 * Parses the `{api_key, events, options}` envelope shared by /2/httpapi and /batch.
 * Unknown top-level keys are ignored (SDKs send `client_upload_time`, `request_metadata`).
 */
export function parseEnvelope(text: string, maxEvents: number): Parsed<Envelope> {
  if (text.trim() === "") return fail(400, errorBody(400, ERRORS.missingBody));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return fail(400, errorBody(400, ERRORS.invalidJson));
  }
  if (!isJsonObject(body)) return fail(400, errorBody(400, ERRORS.invalidJson));
  const apiKey = body.api_key;
  if (typeof apiKey !== "string" || apiKey === "") {
    return fail(400, errorBody(400, ERRORS.missingField, { missing_field: "api_key" }));
  }
  const events = body.events;
  if (events === undefined || events === null || (Array.isArray(events) && events.length === 0)) {
    return fail(400, errorBody(400, ERRORS.missingField, { missing_field: "events" }));
  }
  if (!Array.isArray(events)) return fail(400, errorBody(400, ERRORS.invalidEvent, { invalid_field: "events" }));
  if (events.length > maxEvents) return fail(413, errorBody(413, ERRORS.tooLarge));

  let minIdLength = DEFAULT_MIN_ID_LENGTH;
  const options = body.options;
  if (options !== undefined && options !== null) {
    const min = isJsonObject(options) ? options.min_id_length : undefined;
    if (!isJsonObject(options) || (min !== undefined && min !== null && !(Number.isSafeInteger(min) && (min as number) >= 1))) {
      return fail(400, errorBody(400, ERRORS.invalidFields, { invalid_field: "options.min_id_length" }));
    }
    if (typeof min === "number") minIdLength = min;
  }
  return { ok: true, value: { apiKey, events, minIdLength } };
}

/**
 * Validates every event. Amplitude rejects the whole request when any event is bad and
 * lists the indices per field, so clients drop exactly those and resend the rest.
 */
export function validateEvents(events: Json[], minIdLength: number): Parsed<ValidEvent[]> {
  const valid: ValidEvent[] = [];
  const found: Record<Problem["kind"], FieldIndices> = { missing: {}, invalid: {}, id_length: {} };
  let bad = false;
  events.forEach((raw, index) => {
    const result = validateEvent(raw, minIdLength);
    if (!Array.isArray(result)) {
      valid.push(result);
      return;
    }
    bad = true;
    for (const { kind, field } of result) (found[kind][field] ??= []).push(index);
  });
  if (!bad) return { ok: true, value: valid };

  const extra: Omit<AmplitudeErrorBody, "code" | "error"> = {};
  if (Object.keys(found.missing).length > 0) extra.events_with_missing_fields = found.missing;
  if (Object.keys(found.invalid).length > 0) extra.events_with_invalid_fields = found.invalid;
  if (Object.keys(found.id_length).length > 0) extra.events_with_invalid_id_lengths = found.id_length;
  const error = extra.events_with_missing_fields ? ERRORS.missingField : extra.events_with_invalid_fields ? ERRORS.invalidFields : ERRORS.invalidIdLength;
  return fail(400, errorBody(400, error, extra));
}
