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
    typeof event.user_id === "string"
      ? ids.users.get(event.user_id)
      : typeof event.device_id === "string"
        ? ids.devices.get(event.device_id)
        : undefined;
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
