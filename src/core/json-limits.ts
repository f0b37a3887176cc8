import { isJsonObject, type Json } from "./json";

/**
 * What a profile's store accepts, whatever the wire format: nesting depth, string
 * sizes, and one stored event's serialized size (the Durable Object's SQLite refuses
 * rows over 2 MB, so a bigger event must be a 400, not a failed write).
 */
export const MAX_DEPTH = 40;
export const MAX_PROPERTY_STRING = 32 * 1024;
export const MAX_EVENT_BYTES = 1_000_000;

/** Nesting depth and string sizes stay within what the profile store accepts. */
export function withinLimits(value: Json, depth = 1): boolean {
  if (depth > MAX_DEPTH) return false;
  if (typeof value === "string") return value.length <= MAX_PROPERTY_STRING;
  if (Array.isArray(value)) return value.every((v) => withinLimits(v, depth + 1));
  if (isJsonObject(value)) return Object.entries(value).every(([k, v]) => k.length <= MAX_PROPERTY_STRING && withinLimits(v, depth + 1));
  return true;
}

/** True when the event, as stored, fits in one profile row. */
export function fitsInStore(event: unknown): boolean {
  const json = JSON.stringify(event);
  // UTF-8 is at most 3 bytes per UTF-16 unit: only measure when it could matter.
  return json.length * 3 <= MAX_EVENT_BYTES || new TextEncoder().encode(json).byteLength <= MAX_EVENT_BYTES;
}
