import type { JsonObject } from "./json";

/**
 * Tailor's one internal event, whatever format it arrived in. Adapters (Amplitude
 * today) validate a wire event and map it here; everything downstream — the user
 * Durable Object, the archive, the trainer — reads only this shape.
 */
export interface TailorEvent {
  /** Server-assigned id, unique per accepted event (Amplitude's `uuid`). */
  uuid: string;
  /** Client-chosen idempotency key; repeats within the dedupe window are dropped. */
  insert_id?: string;
  event_type: string;
  user_id?: string;
  device_id?: string;
  /** When it happened (epoch ms): the client's `time`, or the server's receive time. */
  time: number;
  /** When Tailor accepted it (epoch ms). */
  received_at: number;
  event_properties: JsonObject;
  /** Plain keys mean `$set`; `$set`, `$add`, ... are Amplitude's identify operations. */
  user_properties: JsonObject;
  groups?: JsonObject;
  group_properties?: JsonObject;
  session_id?: number;
  /** Amplitude's other top-level fields (platform, revenue, price, ip, ...) kept as sent. */
  attrs?: JsonObject;
}

/** The event type whose only effect is on user properties. */
export const IDENTIFY_EVENT = "$identify";

/**
 * Which profile an event belongs to within its project: the user when `user_id` is
 * known (it wins), else the anonymous device.
 */
export type ProfileRef = { kind: "user"; id: string } | { kind: "device"; id: string };

export function profileRefOf(event: Pick<TailorEvent, "user_id" | "device_id">): ProfileRef {
  if (event.user_id !== undefined) return { kind: "user", id: event.user_id };
  if (event.device_id !== undefined) return { kind: "device", id: event.device_id };
  throw new Error("event has neither user_id nor device_id");
}

/** `u:<id>` / `d:<id>`: the profile's key within its project (D1 registry, DO names). */
export function profileKey(ref: ProfileRef): string {
  return `${ref.kind === "user" ? "u" : "d"}:${ref.id}`;
}

export function parseProfileKey(key: string): ProfileRef {
  const kind = key.startsWith("u:") ? "user" : key.startsWith("d:") ? "device" : undefined;
  if (!kind) throw new Error(`not a profile key: ${key}`);
  return { kind, id: key.slice(2) };
}

/** A profile key as the two id fields destinations and files carry (one of them null). */
export function profileIds(key: string): { user_id: string | null; device_id: string | null } {
  const ref = parseProfileKey(key);
  return ref.kind === "user" ? { user_id: ref.id, device_id: null } : { user_id: null, device_id: ref.id };
}

/** The Durable Object name of a profile: project and profile key, unambiguous. */
export function profileObjectName(projectId: string, ref: ProfileRef): string {
  return `${projectId}/${profileKey(ref)}`;
}
