import { hourOf } from "./archive";
import { parseProfileKey } from "./event";

/**
 * Which archived events a privacy deletion removes: runtime-free, so the archive
 * rewrite and its tests share one rule. An archive line belongs to an erased profile
 * when it carries an erased `user_id`, or carries no `user_id` and an erased device's
 * `device_id` (that device's anonymous history). Only lines received up to the
 * profile's erasure go: a fresh profile started by later events keeps its own.
 */
export interface ErasedIds {
  /** user id → erasure instant (epoch ms). */
  users: ReadonlyMap<string, number>;
  /** device id → erasure instant, for anonymous (user-less) lines. */
  devices: ReadonlyMap<string, number>;
}

export function isErasedLine(event: { user_id?: unknown; device_id?: unknown; received_at?: unknown }, ids: ErasedIds): boolean {
  const cut =
    typeof event.user_id === "string" ? ids.users.get(event.user_id) : typeof event.device_id === "string" ? ids.devices.get(event.device_id) : undefined;
  return cut !== undefined && typeof event.received_at === "number" && event.received_at <= cut;
}

/** An NDJSON archive object without the erased lines; null when nothing changed. Other lines stay byte for byte. */
export function withoutErased(text: string, ids: ErasedIds): { text: string; removed: number; kept: number } | null {
  const kept: string[] = [];
  let removed = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (isErasedLine(JSON.parse(line) as Record<string, unknown>, ids)) removed++;
    else kept.push(line);
  }
  if (removed === 0) return null;
  return { text: kept.length === 0 ? "" : kept.join("\n") + "\n", removed, kept: kept.length };
}

/** What a deletion job knows of one erased profile (see DeletionTarget in the D1 schema). */
export interface ErasureTarget {
  key: string;
  erasedAt?: number;
  devices?: string[];
  firstSeen?: number | null;
  lastSeen?: number | null;
}

/** The erased ids with their erasure instants, and the hours of the archive to scan (null: all). */
export function erasurePlan(targets: readonly ErasureTarget[]): { ids: ErasedIds; hours: { from: string; to: string } | null } {
  const users = new Map<string, number>();
  const devices = new Map<string, number>();
  let from: number | null = Number.POSITIVE_INFINITY;
  let to: number | null = Number.NEGATIVE_INFINITY;
  for (const t of targets) {
    const cut = t.erasedAt ?? Number.POSITIVE_INFINITY;
    const ref = parseProfileKey(t.key);
    (ref.kind === "user" ? users : devices).set(ref.id, Math.max(cut, (ref.kind === "user" ? users : devices).get(ref.id) ?? 0));
    for (const d of t.devices ?? []) devices.set(d, Math.max(cut, devices.get(d) ?? 0));
    if (t.firstSeen === null || t.lastSeen === null || t.firstSeen === undefined || t.lastSeen === undefined) from = to = null;
    else if (from !== null && to !== null) {
      from = Math.min(from, t.firstSeen);
      to = Math.max(to, t.lastSeen);
    }
  }
  const hours = from === null || to === null || from > to ? null : { from: hourOf(from), to: hourOf(to) };
  return { ids: { users, devices }, hours };
}
