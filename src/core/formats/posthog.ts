import { z } from "zod";
import { fromBase64url } from "../base64";
import type { TailorEvent } from "../event";
import { isJsonObject, type Json, type JsonObject } from "../json";
import {
  compact,
  eventNameSchema,
  happenedAt,
  idSchema,
  MAX_MESSAGES,
  MAX_REPORTED,
  objectSchema,
  parseAll,
  type Problem,
  problemsOf,
  sizeProblem,
  timeSchema,
} from "./common";

/**
 * PostHog's capture API (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`): `{api_key, batch:
 * [...], sent_at?}`, one event `{api_key, event, distinct_id, properties}`, or an array
 * of events (the key then in `properties.token`); JSON, or form-encoded `data=` (JSON
 * or base64 JSON).
 *
 * Identity: PostHog has one `distinct_id`; Tailor has a user and a device.
 * - `distinct_id` is the user_id, and `properties.$device_id` (posthog-js sets it) the
 *   device_id, so an identified event links its device to the user.
 * - Anonymous: when `distinct_id` equals `$device_id` (posthog-js before identify), or
 *   `$process_person_profile` is false, the event belongs to the device only.
 * - `$identify` with `$anon_distinct_id` links that anonymous id (as a device) to the
 *   user; `$create_alias` links `properties.alias` the same way.
 * - `$set`, `$set_once` (in `properties` or top-level) and `$unset` (names) on any event
 *   update user properties. `$groupidentify` for a group's own id (`$<type>_<key>`,
 *   what posthog-node sends without a distinctId) is acknowledged and not stored:
 *   Tailor keeps no group profiles; sent for a person, it is stored on that person.
 * - `uuid` is the insert_id (dedupe). Time: `timestamp` corrected by `sent_at` vs
 *   receive time; else receive time − `offset`; else receive time.
 */
export interface PostHogErrorBody {
  type: "validation_error" | "authentication_error" | "rate_limited" | "server_error";
  code: string;
  detail: string;
  /** The first bad field, as `batch.<index>.<field>` (null when the request itself is bad). */
  attr: string | null;
  /** Every bad message: its index in the batch, the field, why. */
  errors?: Problem[];
  [extra: string]: unknown;
}

export const POSTHOG_SUCCESS = { status: 1 } as const;

export function posthogError(type: PostHogErrorBody["type"], code: string, detail: string, extra: Partial<PostHogErrorBody> = {}): PostHogErrorBody {
  return { type, code, detail, attr: null, ...extra };
}

export interface PostHogEnvelope {
  apiKey?: string;
  messages: unknown[];
  sentAt?: number;
}

export type PostHogParsed<T> = { ok: true; value: T } | { ok: false; body: PostHogErrorBody };
const invalid = (detail: string, attr: string | null = null, errors?: Problem[]): { ok: false; body: PostHogErrorBody } => ({
  ok: false,
  body: posthogError("validation_error", "invalid_payload", detail, { attr, ...(errors ? { errors } : {}) }),
});

/** The JSON of a form-encoded body's `data` field (plain or base64, posthog-js's legacy form). */
export function formData(text: string): string | null {
  const data = new URLSearchParams(text).get("data");
  if (data === null) return null;
  const trimmed = data.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return trimmed;
  try {
    const bytes = fromBase64url(trimmed);
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

const keyOf = (value: Json | undefined): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Parses the request body (JSON text) into its messages and, if present, the project key. */
export function parsePostHogBody(text: string): PostHogParsed<PostHogEnvelope> {
  if (text.trim() === "") return invalid("Missing request body");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid("Malformed request data: invalid JSON");
  }
  let messages: unknown[];
  let apiKey: string | undefined;
  let sentAt: unknown;
  if (Array.isArray(body)) messages = body;
  else if (isJsonObject(body) && body.batch !== undefined) {
    if (!Array.isArray(body.batch)) return invalid("batch must be an array", "batch");
    messages = body.batch;
    apiKey = keyOf(body.api_key) ?? keyOf(body.token);
    sentAt = body.sent_at;
  } else if (isJsonObject(body)) {
    messages = [body];
    sentAt = body.sent_at;
  } else return invalid("Malformed request data: expected an object or an array");
  if (messages.length === 0) return invalid("No events in the request", "batch");
  if (messages.length > MAX_MESSAGES) return invalid(`More than ${MAX_MESSAGES} events in one request`, "batch");
  // Single events and arrays carry the key on the event (posthog-js: properties.token).
  const first = messages[0];
  if (apiKey === undefined && isJsonObject(first)) {
    apiKey = keyOf(first.api_key) ?? keyOf(first.token) ?? (isJsonObject(first.properties) ? keyOf(first.properties.token) : undefined);
  }
  const sent = timeSchema.optional().safeParse(sentAt ?? undefined);
  if (!sent.success) return invalid("Invalid sent_at", "sent_at");
  return { ok: true, value: compact({ apiKey, messages, sentAt: sent.data }) };
}

const unsetSchema = z.union([z.array(z.string().max(1024)), objectSchema], { error: "expected an array of property names or an object" });
const propertiesSchema = z
  .object({
    $set: objectSchema.nullish(),
    $set_once: objectSchema.nullish(),
    $unset: unsetSchema.nullish(),
    distinct_id: idSchema.nullish(),
    $device_id: idSchema.nullish(),
    $anon_distinct_id: idSchema.nullish(),
    alias: idSchema.nullish(),
  })
  .loose();
const messageSchema = z.object({
  event: eventNameSchema,
  distinct_id: idSchema.nullish(),
  properties: objectSchema.nullish(),
  $set: objectSchema.nullish(),
  $set_once: objectSchema.nullish(),
  timestamp: timeSchema.nullish(),
  sent_at: timeSchema.nullish(),
  offset: z.number().min(0).max(Number.MAX_SAFE_INTEGER).nullish(),
  uuid: idSchema.nullish(),
});
type Message = z.infer<typeof messageSchema>;
type Properties = z.infer<typeof propertiesSchema>;

export interface PostHogContext {
  receivedAt: number;
  sentAt?: number;
  newId: () => string;
}

/** The properties that are operations or transport, not the event's own. */
const NOT_EVENT_PROPERTIES = new Set(["$set", "$set_once", "$unset", "token"]);

/** Validates one event and maps it; null for an event Tailor acknowledges and drops. */
export function posthogToTailor(raw: unknown, index: number, ctx: PostHogContext): TailorEvent | null | Problem[] {
  if (!isJsonObject(raw)) return [{ index, field: "message", message: "expected an object" }];
  const parsed = messageSchema.safeParse(raw);
  if (!parsed.success) return problemsOf(index, parsed.error);
  const m = parsed.data;
  const ownProps = propertiesSchema.safeParse(m.properties ?? {});
  if (!ownProps.success) return problemsOf(index, ownProps.error, "properties");
  const props: Properties = ownProps.data;
  const distinctId = m.distinct_id ?? props.distinct_id ?? undefined;
  if (distinctId === undefined) return [{ index, field: "distinct_id", message: "required" }];
  if (m.event === "$create_alias" && (props.alias ?? undefined) === undefined)
    return [{ index, field: "properties.alias", message: "required for $create_alias" }];
  if (m.event === "$groupidentify" && distinctId === `$${String(props.$group_type)}_${String(props.$group_key)}`) return null;

  const event = mapMessage(m, props, distinctId, ctx);
  const tooBig = sizeProblem(index, event);
  return tooBig.length > 0 ? tooBig : event;
}

function identity(event: string, props: Properties, distinctId: string): { user_id?: string; device_id?: string } {
  const other = (id: string | null | undefined) => (id !== undefined && id !== null && id !== distinctId ? id : undefined);
  if (event === "$identify") return compact({ user_id: distinctId, device_id: other(props.$anon_distinct_id) ?? other(props.$device_id) });
  if (event === "$create_alias") return compact({ user_id: distinctId, device_id: other(props.alias) });
  if (props.$process_person_profile === false || props.$device_id === distinctId) return { device_id: distinctId };
  return compact({ user_id: distinctId, device_id: other(props.$device_id) });
}

function userProperties(m: Message, props: Properties): JsonObject {
  const out: JsonObject = {};
  const set = { ...(m.$set ?? {}), ...(props.$set ?? {}) };
  const setOnce = { ...(m.$set_once ?? {}), ...(props.$set_once ?? {}) };
  const unset = props.$unset ?? [];
  const names = Array.isArray(unset) ? unset : Object.keys(unset);
  if (Object.keys(set).length > 0) out.$set = set;
  if (Object.keys(setOnce).length > 0) out.$setOnce = setOnce;
  if (names.length > 0) out.$unset = Object.fromEntries(names.map((name) => [name, "-"]));
  return out;
}

function mapMessage(m: Message, props: Properties, distinctId: string, ctx: PostHogContext): TailorEvent {
  const eventProperties: JsonObject = {};
  for (const [key, value] of Object.entries(props as JsonObject)) if (!NOT_EVENT_PROPERTIES.has(key)) eventProperties[key] = value;
  const time =
    m.timestamp !== undefined && m.timestamp !== null
      ? happenedAt(m.timestamp, m.sent_at ?? ctx.sentAt, ctx.receivedAt)
      : Math.max(0, ctx.receivedAt - Math.trunc(m.offset ?? 0));
  const event: TailorEvent = compact({
    uuid: ctx.newId(),
    insert_id: m.uuid ?? undefined,
    event_type: m.event,
    ...identity(m.event, props, distinctId),
    time,
    received_at: ctx.receivedAt,
    event_properties: eventProperties,
    user_properties: userProperties(m, props),
    attrs: { format: "posthog" },
  });
  if (m.event === "$groupidentify" && typeof props.$group_type === "string" && (typeof props.$group_key === "string" || typeof props.$group_key === "number")) {
    event.groups = { [props.$group_type]: props.$group_key };
    event.group_properties = isJsonObject(props.$group_set) ? props.$group_set : {};
  }
  return event;
}

/** Every event of the envelope as TailorEvents, or a 400 body naming each bad one. */
export function posthogEvents(envelope: PostHogEnvelope, receivedAt: number, newId: () => string): PostHogParsed<TailorEvent[]> {
  const ctx: PostHogContext = compact({ receivedAt, sentAt: envelope.sentAt, newId });
  const result = parseAll(envelope.messages, (raw, index) => posthogToTailor(raw, index, ctx));
  if (result.ok) return { ok: true, value: result.value.filter((e): e is TailorEvent => e !== null) };
  const first = result.problems[0]!;
  const indices = new Set(result.problems.map((p) => p.index));
  return invalid(
    `${indices.size} invalid event(s): ${first.field}: ${first.message}; the request was not stored`,
    `batch.${first.index}.${first.field}`,
    result.problems.slice(0, MAX_REPORTED),
  );
}
