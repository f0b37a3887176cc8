import type { TailorEvent } from "./event";

/**
 * The event archive in R2: newline-delimited JSON, one object per flush of one profile's
 * events within one UTC hour of event time, under
 *   events/project=<project>/hour=<YYYY-MM-DDTHH>/<profile hash>-<first seq>.ndjson
 * Keys are deterministic, so a flush retried after a crash overwrites, never duplicates.
 */
export const ARCHIVE_PREFIX = "events/";

export function hourOf(time: number): string {
  return new Date(time).toISOString().slice(0, 13);
}

export function archivePrefix(projectId: string, hour?: string): string {
  return `${ARCHIVE_PREFIX}project=${projectId}/${hour === undefined ? "" : `hour=${hour}/`}`;
}

export function archiveKey(projectId: string, hour: string, profileHash: string, firstSeq: number): string {
  return `${archivePrefix(projectId, hour)}${profileHash}-${String(firstSeq).padStart(12, "0")}.ndjson`;
}

export function toNdjson(events: readonly TailorEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join("\n") + "\n";
}

/**
 * Reads archive objects back as events, dropping the repeats that at-least-once delivery
 * can leave: the same `insert_id` for the same profile, or the same server `uuid`.
 */
export function dedupeArchived(events: Iterable<TailorEvent>): TailorEvent[] {
  const seen = new Set<string>();
  const out: TailorEvent[] = [];
  for (const e of events) {
    const key = e.insert_id !== undefined ? `i:${e.user_id ?? ""}:${e.device_id ?? ""}:${e.insert_id}` : `u:${e.uuid}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

export function parseNdjson(text: string): TailorEvent[] {
  const out: TailorEvent[] = [];
  for (const line of text.split("\n")) if (line.trim() !== "") out.push(JSON.parse(line) as TailorEvent);
  return out;
}

/**
 * A profile's whole history for a replay: the events it keeps and those it read back from
 * its archive objects (pruned since), each event once (by server uuid, the kept copy
 * first), in event time order as the trainer replays them (ties keep their order).
 */
export function mergeHistory(kept: readonly TailorEvent[], archived: readonly TailorEvent[]): TailorEvent[] {
  const seen = new Set<string>();
  const out: TailorEvent[] = [];
  for (const e of [...kept, ...archived]) {
    if (seen.has(e.uuid)) continue;
    seen.add(e.uuid);
    out.push(e);
  }
  return out.sort((a, b) => a.time - b.time);
}
