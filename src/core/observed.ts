import { IDENTIFY_EVENT, type TailorEvent } from "./event";
import type { Json, JsonObject } from "./json";
import { isOperation } from "./user-properties";

/**
 * What a batch of events tells about a project's vocabulary: the event types, each
 * type's properties (its `event_properties` and Amplitude's top-level fields, as cohort
 * filters read them) and the user properties set, with how many events carried each and
 * a few of their values. The catalog store keeps these for the admin UI's pickers.
 */
export type ObservedKind = "event" | "event_property" | "user_property";

export interface Observation {
  kind: ObservedKind;
  /** The event type of an event property; "" otherwise. */
  eventType: string;
  name: string;
  count: number;
  /** JSON-encoded scalar values and how many events carried each (strings up to VALUE_MAX_LENGTH). */
  values: Map<string, number>;
}

const VALUE_MAX_LENGTH = 100;
/** Top-level fields that are identity or bookkeeping, not something to segment on. */
const NOT_PROPERTIES = new Set([
  "insert_id",
  "uuid",
  "user_id",
  "device_id",
  "time",
  "event_type",
  "session_id",
  "event_id",
  "ip",
  "library",
  "plan",
  "ingestion_metadata",
]);

/** Strings that identify a person rather than name a choice: never kept as a picker's value. */
const PERSONAL = /@|^\+?[\d\s().-]{7,}$/;

/** A value worth offering in a picker, JSON-encoded; null for objects, arrays, long strings and what looks like an e-mail address or a phone number. */
export function pickableValue(v: Json | undefined): string | null {
  if (typeof v === "number" || typeof v === "boolean") return JSON.stringify(v);
  if (typeof v === "string" && v.length > 0 && v.length <= VALUE_MAX_LENGTH && !PERSONAL.test(v)) return JSON.stringify(v);
  return null;
}

export function observe(events: readonly TailorEvent[], maxValuesPerName = 10): Observation[] {
  const found = new Map<string, Observation>();
  const note = (kind: ObservedKind, eventType: string, name: string, value: Json | undefined) => {
    const key = `${kind}\u0000${eventType}\u0000${name}`;
    let o = found.get(key);
    if (o === undefined) found.set(key, (o = { kind, eventType, name, count: 0, values: new Map() }));
    o.count++;
    const picked = pickableValue(value);
    if (picked !== null && (o.values.has(picked) || o.values.size < maxValuesPerName)) o.values.set(picked, (o.values.get(picked) ?? 0) + 1);
  };
  const userProperties = (props: JsonObject) => {
    for (const [key, value] of Object.entries(props)) {
      if (!key.startsWith("$")) note("user_property", "", key, value);
      else if (isOperation(key) && value !== null && typeof value === "object" && !Array.isArray(value))
        for (const [name, v] of Object.entries(value)) note("user_property", "", name, key === "$set" || key === "$setOnce" ? v : undefined);
    }
  };
  for (const e of events) {
    if (e.event_type !== IDENTIFY_EVENT) {
      note("event", "", e.event_type, undefined);
      for (const [name, value] of Object.entries(e.event_properties)) note("event_property", e.event_type, name, value);
      for (const [name, value] of Object.entries(e.attrs ?? {})) if (!NOT_PROPERTIES.has(name)) note("event_property", e.event_type, name, value);
    }
    userProperties(e.user_properties);
  }
  return [...found.values()];
}
