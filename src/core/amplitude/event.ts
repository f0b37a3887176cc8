import type { TailorEvent } from "../event";
import { isJsonObject, type Json, type JsonObject } from "../json";
import { fitsInStore, withinLimits } from "../json-limits";
import { isOperation } from "../user-properties";

/** IDs Amplitude refuses as placeholders for "no id" (compared case-insensitively). */
const BLOCKED_IDS = new Set([
  "anonymous",
  "nil",
  "none",
  "null",
  "n/a",
  "na",
  "undefined",
  "unknown",
  '""',
  "00000000-0000-0000-0000-000000000000",
  "{}",
  "lmy47d",
  "0",
  "-1",
]);

const MAX_STRING = 1024;

const STRING_FIELDS = [
  "insert_id",
  "app_version",
  "version_name",
  "platform",
  "os_name",
  "os_version",
  "device_brand",
  "device_manufacturer",
  "device_model",
  "carrier",
  "country",
  "region",
  "city",
  "dma",
  "language",
  "productId",
  "revenueType",
  "currency",
  "ip",
  "idfa",
  "idfv",
  "adid",
  "android_id",
  "android_app_set_id",
  "partner_id",
  "library",
  "user_agent",
] as const;
const NUMBER_FIELDS = ["price", "revenue", "location_lat", "location_lng"] as const;
const INTEGER_FIELDS = ["session_id", "event_id", "quantity"] as const;
const OBJECT_FIELDS = ["event_properties", "user_properties", "groups", "group_properties", "plan", "ingestion_metadata"] as const;
/** Fields mapped to TailorEvent's own members; everything else is kept in `attrs`. */
const CORE_FIELDS = new Set(["event_type", "user_id", "device_id", "time", "insert_id", "session_id", ...OBJECT_FIELDS.slice(0, 4)]);
/** Fields with a rule above; any other field is kept as sent, within the store's limits. */
const CHECKED_FIELDS = new Set<string>(["event_type", "user_id", "device_id", "time", ...STRING_FIELDS, ...NUMBER_FIELDS, ...INTEGER_FIELDS, ...OBJECT_FIELDS]);

export type Problem = { kind: "missing" | "invalid" | "id_length"; field: string };

/** A wire event that passed validation, with its ids and time normalised. */
export interface ValidEvent {
  raw: JsonObject;
  user_id?: string;
  device_id?: string;
}

/**
 * Checks one wire event against the HTTP V2 rules and lists every problem with it
 * (a field may be named under more than one kind). An empty list means it is valid.
 */
export function validateEvent(raw: unknown, minIdLength: number): Problem[] | ValidEvent {
  if (!isJsonObject(raw)) return [{ kind: "invalid", field: "event" }];
  const problems: Problem[] = [];
  const invalid = (field: string) => problems.push({ kind: "invalid", field });

  const type = raw.event_type;
  if (type === undefined || type === null) problems.push({ kind: "missing", field: "event_type" });
  else if (typeof type !== "string" || type.length === 0 || type.length > MAX_STRING) invalid("event_type");

  const ids: { user_id?: string; device_id?: string } = {};
  for (const field of ["user_id", "device_id"] as const) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || value.length < minIdLength || value.length > MAX_STRING) {
      problems.push({ kind: "id_length", field });
    } else if (BLOCKED_IDS.has(value.toLowerCase())) invalid(field);
    else ids[field] = value;
  }
  if (raw.user_id == null && raw.device_id == null) problems.push({ kind: "missing", field: "device_id" });

  const time = raw.time;
  if (time !== undefined && time !== null && !(Number.isSafeInteger(time) && (time as number) >= 0)) invalid("time");

  for (const field of STRING_FIELDS) {
    const v = raw[field];
    if (v !== undefined && v !== null && (typeof v !== "string" || v.length > MAX_STRING)) invalid(field);
  }
  for (const field of NUMBER_FIELDS) {
    const v = raw[field];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isFinite(v))) invalid(field);
  }
  for (const field of INTEGER_FIELDS) {
    const v = raw[field];
    if (v !== undefined && v !== null && !Number.isSafeInteger(v)) invalid(field);
  }
  for (const field of OBJECT_FIELDS) {
    const v = raw[field];
    if (v !== undefined && v !== null && (!isJsonObject(v) || !withinLimits(v, 1))) invalid(field);
  }
  if (isJsonObject(raw.user_properties) && !validOperations(raw.user_properties)) invalid("user_properties");
  for (const [key, value] of Object.entries(raw)) {
    if (CHECKED_FIELDS.has(key)) continue;
    if (key.length > MAX_STRING) invalid("event");
    else if (!withinLimits(value)) invalid(key);
  }
  // Each piece can be within limits and the whole still too big for one stored row.
  if (problems.length === 0 && !fitsInStore(raw)) invalid("event");

  return problems.length > 0 ? problems : { raw, ...ids };
}

/** `$`-keys must be known operations, each (but `$clearAll`) taking an object. */
function validOperations(props: JsonObject): boolean {
  return Object.entries(props).every(([key, value]) => !key.startsWith("$") || (isOperation(key) && (key === "$clearAll" || isJsonObject(value))));
}

/** Maps a validated wire event to Tailor's event, stamping server fields. */
export function toTailorEvent(event: ValidEvent, uuid: string, receivedAt: number): TailorEvent {
  const { raw } = event;
  const out: TailorEvent = {
    uuid,
    event_type: raw.event_type as string,
    time: typeof raw.time === "number" ? raw.time : receivedAt,
    received_at: receivedAt,
    event_properties: objectOr(raw.event_properties),
    user_properties: objectOr(raw.user_properties),
  };
  if (event.user_id !== undefined) out.user_id = event.user_id;
  if (event.device_id !== undefined) out.device_id = event.device_id;
  if (typeof raw.insert_id === "string") out.insert_id = raw.insert_id;
  if (typeof raw.session_id === "number") out.session_id = raw.session_id;
  if (isJsonObject(raw.groups)) out.groups = raw.groups;
  if (isJsonObject(raw.group_properties)) out.group_properties = raw.group_properties;
  const attrs: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) if (!CORE_FIELDS.has(key) && value !== null) attrs[key] = value;
  if (Object.keys(attrs).length > 0) out.attrs = attrs;
  return out;
}

function objectOr(value: Json | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}
