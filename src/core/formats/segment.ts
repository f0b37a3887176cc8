import { z } from "zod";
import type { TailorEvent } from "../event";
import { isJsonObject, type JsonObject } from "../json";
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
 * Segment's HTTP Tracking API (also what RudderStack's SDKs send): `/v1/batch` with
 * `{batch: [...], writeKey?, sentAt?, context?}`, or one message per request at
 * `/v1/track`, `/v1/identify`, `/v1/page`, `/v1/screen`, `/v1/alias`, `/v1/group`.
 *
 * Mapping to TailorEvent: `userId` → user_id, `anonymousId` → device_id, `messageId` →
 * insert_id (dedupe). track → `event` with `properties`; identify → `$identify` with
 * `traits` as `$set`; page/screen → `Loaded a Page` / `Loaded a Screen` with `name`,
 * `category` and `properties`; alias → `$alias` carrying user_id = `userId` and
 * device_id = `previousId` (so the previous id's history links to the user); group →
 * `$groupidentify` with `groups: {group: groupId}`, the traits as `group_properties`.
 * Time: `timestamp` as sent; else `originalTimestamp` corrected by `sentAt` vs receive
 * time (clock skew); else the receive time.
 */
export const SEGMENT_TYPES = ["track", "identify", "page", "screen", "alias", "group"] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

export interface SegmentErrorBody {
  success: false;
  code: "invalid_request" | "unauthorized" | "payload_too_large" | "rate_limited" | "unavailable";
  message: string;
  /** Each bad message: its index in `batch` (0 for single-message endpoints), field, reason. */
  errors?: Problem[];
  [extra: string]: unknown;
}

export const SEGMENT_SUCCESS = { success: true } as const;

export function segmentError(code: SegmentErrorBody["code"], message: string, extra: Partial<SegmentErrorBody> = {}): SegmentErrorBody {
  return { success: false, code, message, ...extra };
}

export interface SegmentEnvelope {
  /** `writeKey` from the body, when given there (else Basic auth carries it). */
  writeKey?: string;
  messages: unknown[];
  sentAt?: number;
  context?: JsonObject;
}

export type SegmentParsed<T> = { ok: true; value: T } | { ok: false; body: SegmentErrorBody };
const invalid = (message: string, errors?: Problem[]): { ok: false; body: SegmentErrorBody } => ({
  ok: false,
  body: segmentError("invalid_request", message, errors ? { errors } : {}),
});

/**
 * Parses a request body: a batch envelope for `/v1/batch`, else one message whose
 * type is the endpoint's (a `type` in the body is overridden).
 */
export function parseSegmentBody(text: string, endpoint: SegmentType | "batch"): SegmentParsed<SegmentEnvelope> {
  if (text.trim() === "") return invalid("Missing request body");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalid("Invalid JSON request body");
  }
  if (!isJsonObject(body)) return invalid("Request body must be a JSON object");
  const writeKey = body.writeKey;
  if (writeKey !== undefined && writeKey !== null && typeof writeKey !== "string")
    return invalid("writeKey must be a string", [{ index: 0, field: "writeKey", message: "expected a string" }]);
  const sentAt = timeSchema.optional().safeParse(body.sentAt ?? undefined);
  if (!sentAt.success) return invalid("Invalid sentAt", [{ index: 0, field: "sentAt", message: sentAt.error.issues[0]!.message }]);
  const envelope: SegmentEnvelope = compact({ writeKey: writeKey || undefined, messages: [], sentAt: sentAt.data });

  if (endpoint !== "batch") {
    envelope.messages = [{ ...body, type: endpoint }];
    return { ok: true, value: envelope };
  }
  const batch = body.batch;
  if (batch === undefined || batch === null) return invalid("Request missing required field: batch", [{ index: 0, field: "batch", message: "required" }]);
  if (!Array.isArray(batch)) return invalid("batch must be an array", [{ index: 0, field: "batch", message: "expected an array" }]);
  if (batch.length === 0) return invalid("batch is empty", [{ index: 0, field: "batch", message: "expected at least one message" }]);
  if (batch.length > MAX_MESSAGES) return invalid(`batch has more than ${MAX_MESSAGES} messages`, [{ index: 0, field: "batch", message: "too many messages" }]);
  if (body.context !== undefined && body.context !== null) {
    if (!objectSchema.safeParse(body.context).success) return invalid("Invalid context", [{ index: 0, field: "context", message: "expected an object" }]);
    envelope.context = body.context as JsonObject;
  }
  envelope.messages = batch;
  return { ok: true, value: envelope };
}

/** RudderStack's browser SDK sends `userId: ""` for a visitor not identified yet: that is no user id (the anonymousId then names the profile). */
const optionalUserId = z.preprocess((v) => (v === "" ? undefined : v), idSchema.nullish());

const common = {
  userId: optionalUserId,
  anonymousId: idSchema.nullish(),
  messageId: idSchema.nullish(),
  timestamp: timeSchema.nullish(),
  originalTimestamp: timeSchema.nullish(),
  sentAt: timeSchema.nullish(),
  context: objectSchema.nullish(),
};
const named = { name: z.string().max(1024).nullish(), category: z.string().max(1024).nullish(), properties: objectSchema.nullish() };
const SCHEMAS = {
  track: z.object({ ...common, type: z.literal("track"), event: eventNameSchema, properties: objectSchema.nullish() }),
  identify: z.object({ ...common, type: z.literal("identify"), traits: objectSchema.nullish() }),
  page: z.object({ ...common, type: z.literal("page"), ...named }),
  screen: z.object({ ...common, type: z.literal("screen"), ...named }),
  alias: z.object({ ...common, type: z.literal("alias"), userId: idSchema, previousId: idSchema }),
  group: z.object({ ...common, type: z.literal("group"), groupId: idSchema, traits: objectSchema.nullish() }),
};
type Message = { [K in SegmentType]: z.infer<(typeof SCHEMAS)[K]> }[SegmentType];

export interface SegmentContext {
  receivedAt: number;
  /** The batch's own `sentAt`, used when a message has none. */
  sentAt?: number;
  /** The batch's `context`, used when a message has none. */
  context?: JsonObject;
  newId: () => string;
}

/** Validates one message and maps it, or lists what is wrong with it. */
export function segmentToTailor(raw: unknown, index: number, ctx: SegmentContext): TailorEvent | Problem[] {
  if (!isJsonObject(raw)) return [{ index, field: "message", message: "expected an object" }];
  const type = raw.type;
  if (typeof type !== "string" || !(SEGMENT_TYPES as readonly string[]).includes(type)) {
    return [{ index, field: "type", message: `expected one of ${SEGMENT_TYPES.join(", ")}` }];
  }
  const parsed = SCHEMAS[type as SegmentType].safeParse(raw);
  if (!parsed.success) return problemsOf(index, parsed.error);
  const m = parsed.data as Message;
  if (m.type !== "alias" && (m.userId ?? undefined) === undefined && (m.anonymousId ?? undefined) === undefined) {
    return [{ index, field: "userId", message: "userId or anonymousId is required" }];
  }
  const event = mapMessage(m, ctx);
  const tooBig = sizeProblem(index, event);
  return tooBig.length > 0 ? tooBig : event;
}

function mapMessage(m: Message, ctx: SegmentContext): TailorEvent {
  const time = m.timestamp ?? happenedAt(m.originalTimestamp ?? undefined, m.sentAt ?? ctx.sentAt, ctx.receivedAt);
  const context = m.context ?? ctx.context;
  const event: TailorEvent = compact({
    uuid: ctx.newId(),
    insert_id: m.messageId ?? undefined,
    event_type: "",
    user_id: m.userId ?? undefined,
    device_id: m.anonymousId ?? undefined,
    time,
    received_at: ctx.receivedAt,
    event_properties: {},
    user_properties: {},
    attrs: compact({ format: "segment", context }) as JsonObject,
  });
  switch (m.type) {
    case "track":
      return { ...event, event_type: m.event, event_properties: m.properties ?? {} };
    case "identify": {
      // RudderStack's browser SDK sends an identify's traits in context.traits; top-level traits (Segment's place) win.
      const traits = { ...(isJsonObject(context?.traits) ? context.traits : {}), ...(m.traits ?? {}) };
      return { ...event, event_type: "$identify", user_properties: Object.keys(traits).length > 0 ? { $set: traits } : {} };
    }
    case "page":
    case "screen": {
      const props: JsonObject = {};
      if (typeof m.name === "string") props.name = m.name;
      if (typeof m.category === "string") props.category = m.category;
      return { ...event, event_type: m.type === "page" ? "Loaded a Page" : "Loaded a Screen", event_properties: { ...props, ...(m.properties ?? {}) } };
    }
    case "alias":
      // previousId is the id the person had before (usually the anonymous id): link it.
      return compact({ ...event, event_type: "$alias", device_id: m.previousId === m.userId ? event.device_id : m.previousId });
    case "group":
      return {
        ...event,
        event_type: "$groupidentify",
        event_properties: { group_id: m.groupId },
        groups: { group: m.groupId },
        group_properties: m.traits ?? {},
      };
  }
}

/** Every message of the envelope as TailorEvents, or a 400 body naming each bad one. */
export function segmentEvents(envelope: SegmentEnvelope, receivedAt: number, newId: () => string): SegmentParsed<TailorEvent[]> {
  const ctx: SegmentContext = compact({ receivedAt, sentAt: envelope.sentAt, context: envelope.context, newId });
  const result = parseAll(envelope.messages, (raw, index) => segmentToTailor(raw, index, ctx));
  if (result.ok) return result;
  const indices = new Set(result.problems.map((p) => p.index));
  return invalid(`${indices.size} invalid message(s): the batch was not stored`, result.problems.slice(0, MAX_REPORTED));
}
