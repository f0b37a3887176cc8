import { dedupeArchived, parseNdjson } from "../core/archive";
import { projectApiPath } from "../core/project";
import type { TailorEvent } from "../core/event";
import { adminText, type PublishedModel } from "./admin-client";

/**
 * Reads a project's event archive through the Worker's admin API — the same against
 * local state and a deployed Worker — one hour partition at a time, oldest first, so
 * memory holds one hour of events (repeats are dropped within the hour).
 */
export interface ArchiveSource {
  url: string;
  adminToken: string;
  project: string;
}

const getText = (src: ArchiveSource, path: string): Promise<string> => adminText(src, "GET", path);

async function getJson<T>(src: ArchiveSource, path: string): Promise<T> {
  return JSON.parse(await getText(src, path)) as T;
}

/** The archive a training run reads: its hour partitions and the span they cover. */
export interface ArchiveSpan {
  src: ArchiveSource;
  hours: Map<string, string[]>;
  first: number;
  last: number;
  publish: boolean;
}

/** One definition being trained: it sees every event of the archive pass, then finishes (with the model it published, if it did). */
export interface TrainingJob {
  add(events: readonly TailorEvent[]): void;
  finish(): Promise<PublishedModel | null>;
}

/** One pass over the archive, every hour's events handed to every job in order. */
export async function readInto(
  span: ArchiveSpan,
  jobs: readonly TrainingJob[],
  onProgress?: (done: number, total: number, events: number) => void,
): Promise<void> {
  let events = 0;
  for await (const part of readArchive(span.src, span.hours, (done, total) => {
    if (done % 50 === 0 || done === total) process.stderr.write(`\r  reading hour ${done}/${total}, ${events.toLocaleString()} events   `);
    onProgress?.(done, total, events);
  })) {
    for (const job of jobs) job.add(part.events);
    events += part.events.length;
  }
  process.stderr.write("\n");
}

export async function listArchive(src: ArchiveSource): Promise<Map<string, string[]>> {
  const byHour = new Map<string, string[]>();
  let cursor: string | null = null;
  do {
    const page: { objects: { key: string }[]; cursor: string | null } = await getJson(
      src,
      projectApiPath(src.project, `/archive${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`),
    );
    for (const { key } of page.objects) {
      const hour = /\/hour=([^/]+)\//.exec(key)?.[1];
      if (hour === undefined) continue;
      const list = byHour.get(hour) ?? [];
      list.push(key);
      byHour.set(hour, list);
    }
    cursor = page.cursor;
  } while (cursor !== null);
  return new Map([...byHour].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export async function readObject(src: ArchiveSource, key: string): Promise<TailorEvent[]> {
  return parseNdjson(await getText(src, projectApiPath(src.project, `/archive/object?key=${encodeURIComponent(key)}`)));
}

/** Hour partitions in order, each fetched with bounded concurrency, events sorted by time. */
export async function* readArchive(
  src: ArchiveSource,
  hours: Map<string, string[]>,
  onProgress?: (done: number, total: number) => void,
): AsyncGenerator<{ hour: string; events: TailorEvent[] }> {
  const entries = [...hours];
  const CONCURRENCY = 8;
  let done = 0;
  const fetchHour = async ([hour, keys]: [string, string[]]) => {
    const events: TailorEvent[] = [];
    for (let i = 0; i < keys.length; i += CONCURRENCY) {
      for (const part of await Promise.all(keys.slice(i, i + CONCURRENCY).map((k) => readObject(src, k)))) events.push(...part);
    }
    return { hour, events: dedupeArchived(events).sort((a, b) => a.time - b.time) };
  };
  // Prefetch the next hour while the caller processes this one.
  let next = entries.length > 0 ? fetchHour(entries[0]!) : null;
  for (let i = 0; i < entries.length; i++) {
    const current = await next!;
    next = i + 1 < entries.length ? fetchHour(entries[i + 1]!) : null;
    onProgress?.(++done, entries.length);
    yield current;
  }
}
