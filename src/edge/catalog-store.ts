import { desc, eq, sql } from "drizzle-orm";
import { cacheNamespace } from "../core/isolate-cache";
import { observe, type Observation } from "../core/observed";
import { unseenNames, type NameWarning, type Vocabulary } from "../core/segments/unseen-names";
import { observedNames, observedValues } from "../db/schema";
import type { Db } from "./db";

/**
 * The project's vocabulary as events arrive (core/observed.ts): names and some values,
 * written to D1 after the events are stored. Each isolate writes a name or value at most
 * once per WRITE_EVERY_MS (the cache below remembers what it wrote), so a busy project
 * costs a handful of upserts per few minutes, not one per event; `seen` adds the count of
 * the request that wrote it (a sampled frequency, enough to rank values).
 */
const WRITE_EVERY_MS = 5 * 60_000;
/** Values kept per property, at most: beyond that a property is an id, not a choice. */
const MAX_VALUES = 50;
const STATEMENTS_PER_BATCH = 50;

const written = cacheNamespace<true>("catalog-written", { maxEntries: 20_000, ttlMs: WRITE_EVERY_MS });
/** Distinct values this isolate has written per property (to stop at MAX_VALUES). */
const valueCounts = cacheNamespace<number>("catalog-value-counts", { maxEntries: 5_000, ttlMs: 60 * 60_000 });

/**
 * The upserts these events call for (none once this isolate wrote their names and values
 * lately), decided at once so that a request with nothing new schedules no work at all;
 * `null` when there is nothing to write.
 */
export function catalogWrites(d: Db, projectId: string, events: Parameters<typeof observe>[0], now = Date.now()): (() => Promise<void>) | null {
  const statements: Parameters<Db["batch"]>[0][number][] = [];
  for (const o of observe(events)) {
    const nameKey = `${projectId}\u0000${o.kind}\u0000${o.eventType}\u0000${o.name}`;
    if (written.get(nameKey) === undefined) {
      written.set(nameKey, true);
      statements.push(upsertName(d, projectId, o, now));
    }
    if (o.kind === "event") continue;
    for (const [value, count] of o.values) {
      const valueKey = `${nameKey}\u0000${value}`;
      if (written.get(valueKey) !== undefined) continue;
      const distinct = valueCounts.get(nameKey) ?? 0;
      if (distinct >= MAX_VALUES) break;
      written.set(valueKey, true);
      valueCounts.set(nameKey, distinct + 1);
      statements.push(
        d
          .insert(observedValues)
          .values({ projectId, kind: o.kind, eventType: o.eventType, name: o.name, value, lastSeen: now, seen: count })
          .onConflictDoUpdate({
            target: [observedValues.projectId, observedValues.kind, observedValues.eventType, observedValues.name, observedValues.value],
            set: { lastSeen: now, seen: sql`${observedValues.seen} + ${count}` },
          }),
      );
    }
  }
  if (statements.length === 0) return null;
  return async () => {
    for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
      const chunk = statements.slice(i, i + STATEMENTS_PER_BATCH);
      await d.batch(chunk as [(typeof chunk)[number], ...(typeof chunk)[number][]]);
    }
  };
}

function upsertName(d: Db, projectId: string, o: Observation, now: number) {
  return d
    .insert(observedNames)
    .values({ projectId, kind: o.kind, eventType: o.eventType, name: o.name, firstSeen: now, lastSeen: now, seen: o.count })
    .onConflictDoUpdate({
      target: [observedNames.projectId, observedNames.kind, observedNames.eventType, observedNames.name],
      set: { lastSeen: now, seen: sql`${observedNames.seen} + ${o.count}` },
    });
}

export interface Catalog {
  events: { name: string; seen: number; last_seen: number }[];
  /** Per event type, its properties. */
  event_properties: Record<string, { name: string; seen: number; values: string[] }[]>;
  user_properties: { name: string; seen: number; values: string[] }[];
}

/** What the project's events have used, most seen first; values are JSON-encoded, most seen first. */
export async function readCatalog(d: Db, projectId: string): Promise<Catalog> {
  const [names, values] = await Promise.all([
    d.select().from(observedNames).where(eq(observedNames.projectId, projectId)).orderBy(desc(observedNames.seen)).limit(5_000),
    d
      .select({ kind: observedValues.kind, eventType: observedValues.eventType, name: observedValues.name, value: observedValues.value })
      .from(observedValues)
      .where(eq(observedValues.projectId, projectId))
      .orderBy(desc(observedValues.seen))
      .limit(20_000),
  ]);
  const valuesOf = new Map<string, string[]>();
  for (const v of values) {
    const key = `${v.kind}\u0000${v.eventType}\u0000${v.name}`;
    const list = valuesOf.get(key) ?? [];
    if (list.length < 20) list.push(v.value);
    valuesOf.set(key, list);
  }
  const catalog: Catalog = { events: [], event_properties: {}, user_properties: [] };
  for (const n of names) {
    const entry = { name: n.name, seen: n.seen, values: valuesOf.get(`${n.kind}\u0000${n.eventType}\u0000${n.name}`) ?? [] };
    if (n.kind === "event") catalog.events.push({ name: n.name, seen: n.seen, last_seen: n.lastSeen });
    else if (n.kind === "user_property") catalog.user_properties.push(entry);
    else (catalog.event_properties[n.eventType] ??= []).push(entry);
  }
  return catalog;
}

/** The names alone, as the warnings about unseen names read them. */
export function vocabularyOf(catalog: Catalog): Vocabulary {
  return {
    events: catalog.events.map((e) => e.name),
    eventProperties: Object.fromEntries(Object.entries(catalog.event_properties).map(([type, props]) => [type, props.map((p) => p.name)])),
    userProperties: catalog.user_properties.map((p) => p.name),
  };
}

/** Warnings for the names a definition uses that the project's events never have. */
export async function nameWarnings(d: Db, projectId: string, definition: unknown): Promise<NameWarning[]> {
  return unseenNames(definition, vocabularyOf(await readCatalog(d, projectId)));
}
