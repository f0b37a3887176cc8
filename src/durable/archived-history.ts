import { hourOf, parseNdjson } from "../core/archive";
import type { TailorEvent } from "../core/event";
import type { StreamSpec } from "../core/segments/stream";

/** Archive objects read at once when a profile reads its history back. */
const READ_CONCURRENCY = 8;
const utf8 = new TextDecoder();

/**
 * The R2 archive objects that hold a profile's history — its own flushes and those of
 * the devices whose history it took over — so that a stream added later (a new cohort,
 * computed property, model feature or item history) is rebuilt from every event the
 * profile ever had, not only from the events it still keeps.
 */
export class ArchiveManifest {
  constructor(private readonly sql: SqlStorage) {}

  record(keys: readonly string[]): void {
    for (const key of keys) {
      const hour = hourOfKey(key);
      if (hour !== undefined) this.sql.exec("INSERT OR IGNORE INTO archive_objects (key, hour) VALUES (?, ?)", key, hour);
    }
  }

  /** Every object, or only those of hours up to `throughHour`. */
  keys(throughHour?: string): string[] {
    const rows =
      throughHour === undefined
        ? this.sql.exec<{ key: string }>("SELECT key FROM archive_objects ORDER BY hour, key")
        : this.sql.exec<{ key: string }>("SELECT key FROM archive_objects WHERE hour <= ? ORDER BY hour, key", throughHour);
    return rows.toArray().map((r) => r.key);
  }
}

/**
 * Does rebuilding these streams need events from before `prunedBefore` (the instant before
 * which the profile no longer keeps every event)? Only a rolling window that starts after
 * it does not.
 */
export function reachesPruned(streams: readonly StreamSpec[], prunedBefore: number | undefined, now: number): boolean {
  if (prunedBefore === undefined) return false;
  return streams.some((s) => !(s.window.kind === "rolling" && now - s.window.duration >= prunedBefore));
}

const hourOfKey = (key: string): string | undefined => /\/hour=([^/]+)\//.exec(key)?.[1];

/** The archive objects' events that a replay needs: those of hours up to the one `prunedBefore` falls in. */
export async function readPruned(env: Pick<Env, "ARCHIVE">, manifest: ArchiveManifest, prunedBefore: number): Promise<TailorEvent[]> {
  return readObjects(env, manifest.keys(hourOf(prunedBefore)));
}

/** The same for another profile's keys (a device being linked). */
export async function readPrunedKeys(env: Pick<Env, "ARCHIVE">, keys: readonly string[], prunedBefore: number): Promise<TailorEvent[]> {
  const last = hourOf(prunedBefore);
  return readObjects(
    env,
    keys.filter((k) => (hourOfKey(k) ?? "") <= last),
  );
}

/** Reads archive objects (a missing one was erased by a privacy deletion: it holds nothing). */
export async function readObjects(env: Pick<Env, "ARCHIVE">, keys: readonly string[]): Promise<TailorEvent[]> {
  const out: TailorEvent[] = [];
  for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
    // Decoded by hand: workerd warns on .text() of a body whose type is not text/* (NDJSON is UTF-8).
    const texts = await Promise.all(
      keys.slice(i, i + READ_CONCURRENCY).map(async (k) => utf8.decode((await (await env.ARCHIVE.get(k))?.arrayBuffer()) ?? new ArrayBuffer(0))),
    );
    for (const text of texts) out.push(...parseNdjson(text));
  }
  return out;
}
