import { profileIds } from "../event";
import type { Json } from "../json";
import { hash32 } from "../hash";
import type { Sync } from "./schema";

type PropertiesWhat = Extract<Sync["what"], { kind: "properties" }>;

/** What a profile read gives a property sync: visible computed values and prediction scores. */
export interface ProfileFacts {
  computations: Record<string, Json>;
  scores: Record<string, { score: number; pct: number }>;
}

/** The names the destination sees: `as`, or the id (`<prediction id>_<score|pct>`). */
export function propertyValues(what: PropertiesWhat, facts: ProfileFacts): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const c of what.computations) out[c.as ?? c.id] = facts.computations[c.id] ?? null;
  for (const p of what.predictions) out[p.as ?? `${p.id}_${p.on}`] = facts.scores[p.id]?.[p.on] ?? null;
  return out;
}

/** A stable text form of values (sorted keys): what was delivered, compared by equality. */
export function digest(values: Record<string, Json>): string {
  return JSON.stringify(
    Object.keys(values)
      .sort()
      .map((k) => [k, values[k]]),
  );
}

export interface PropertyChange {
  profileKey: string;
  /** False when the profile left the cohort: its values are cleared (sent as null). */
  inCohort: boolean;
  properties: Record<string, Json>;
  /** What the destination holds once this is delivered (null: nothing, forget the profile). */
  digest: string | null;
}

/**
 * What a property sync sends: members whose values differ from what was last delivered
 * to them (all of them the first time), and former members, whose values are cleared.
 * The delivered state is the cursor, so a run that fails halfway resends only what is
 * still different.
 */
export function propertyChanges(
  current: ReadonlyMap<string, Record<string, Json>>,
  delivered: ReadonlyMap<string, string>,
  names: readonly string[],
): PropertyChange[] {
  const out: PropertyChange[] = [];
  for (const [profileKey, values] of [...current].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const d = digest(values);
    if (delivered.get(profileKey) !== d) out.push({ profileKey, inCohort: true, properties: values, digest: d });
  }
  const cleared = Object.fromEntries(names.map((n) => [n, null]));
  for (const profileKey of [...delivered.keys()].sort()) {
    if (!current.has(profileKey)) out.push({ profileKey, inCohort: false, properties: cleared, digest: null });
  }
  return out;
}

/** The value names a sync sends, in definition order. */
export function propertyNames(what: PropertiesWhat): string[] {
  return [...what.computations.map((c) => c.as ?? c.id), ...what.predictions.map((p) => p.as ?? `${p.id}_${p.on}`)];
}

/** A webhook message of property changes; its id is a function of its content (a retry repeats it). */
export interface PropertyWebhookMessage {
  sync_id: string;
  cohort_id: string;
  computed_time: string;
  message_id: string;
  users: { user_id: string | null; device_id: string | null; in_cohort: boolean; properties: Record<string, Json> }[];
}

export function propertyMessages(
  syncId: string,
  cohortId: string,
  changes: readonly PropertyChange[],
  batchSize: number,
  now: number,
): { message: PropertyWebhookMessage; changes: PropertyChange[] }[] {
  const out: { message: PropertyWebhookMessage; changes: PropertyChange[] }[] = [];
  for (let i = 0; i < changes.length; i += batchSize) {
    const part = changes.slice(i, i + batchSize);
    const users = part.map((c) => ({ ...profileIds(c.profileKey), in_cohort: c.inCohort, properties: c.properties }));
    const content = JSON.stringify(users);
    const id = `${syncId}:props:${hash32(content).toString(16)}${hash32(`${content}\u0000`).toString(16)}`;
    out.push({ message: { sync_id: syncId, cohort_id: cohortId, computed_time: new Date(now).toISOString(), message_id: id, users }, changes: part });
  }
  return out;
}
