import { isJsonObject, type Json, type JsonObject } from "./json";

/**
 * Amplitude's user property operations, applied in the server's fixed order
 * (UserPropertyUtils) whatever order the keys arrive in. A property should appear in
 * only one operation of an event.
 */
export const USER_PROPERTY_OPERATIONS = [
  "$clearAll",
  "$unset",
  "$set",
  "$setOnce",
  "$add",
  "$append",
  "$prepend",
  "$preInsert",
  "$postInsert",
  "$remove",
] as const;
export type UserPropertyOperation = (typeof USER_PROPERTY_OPERATIONS)[number];

const OPERATIONS = new Set<string>(USER_PROPERTY_OPERATIONS);

export function isOperation(key: string): key is UserPropertyOperation {
  return OPERATIONS.has(key);
}

/**
 * Applies one event's `user_properties` to a profile's properties and returns the new
 * object (the input is not modified). Keys that are not operations are `$set`s.
 */
export function applyUserProperties(current: JsonObject, update: JsonObject): JsonObject {
  let props: JsonObject = { ...current };
  const plainSets: JsonObject = {};
  for (const [key, value] of Object.entries(update)) if (!key.startsWith("$")) plainSets[key] = value;
  for (const op of USER_PROPERTY_OPERATIONS) {
    const args = op === "$set" ? { ...plainSets, ...objectOrEmpty(update.$set) } : update[op];
    if (args === undefined) continue;
    if (op === "$clearAll") {
      props = {};
      continue;
    }
    if (!isJsonObject(args)) continue;
    for (const [prop, value] of Object.entries(args)) applyOne(props, op, prop, value);
  }
  return props;
}

function objectOrEmpty(value: Json | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

function applyOne(props: JsonObject, op: UserPropertyOperation, prop: string, value: Json): void {
  const existing = props[prop];
  switch (op) {
    case "$unset":
      delete props[prop];
      return;
    case "$setOnce":
      if (existing === undefined) props[prop] = value;
      return;
    case "$set":
      props[prop] = value;
      return;
    case "$add": {
      const delta = toNumber(value);
      if (delta === undefined) return;
      const base = existing === undefined ? 0 : toNumber(existing);
      if (base === undefined) return; // adding to a non-number leaves it as it is
      props[prop] = base + delta;
      return;
    }
    case "$append":
      props[prop] = [...asList(existing), ...asValues(value)];
      return;
    case "$prepend":
      props[prop] = [...asValues(value), ...asList(existing)];
      return;
    case "$preInsert": {
      const list = asList(existing);
      const fresh = dedupeValues(asValues(value)).filter((v) => !includesValue(list, v));
      props[prop] = [...fresh, ...list];
      return;
    }
    case "$postInsert": {
      const list = asList(existing);
      const fresh = dedupeValues(asValues(value)).filter((v) => !includesValue(list, v));
      props[prop] = [...list, ...fresh];
      return;
    }
    case "$remove": {
      if (existing === undefined) return;
      const drop = asValues(value);
      props[prop] = asList(existing).filter((v) => !includesValue(drop, v));
      return;
    }
    case "$clearAll":
      return;
  }
}

function toNumber(value: Json | undefined): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** An existing property as a list: a scalar becomes a one-element list. */
function asList(value: Json | undefined): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** An operation's argument: an array means each of its elements. */
function asValues(value: Json): Json[] {
  return Array.isArray(value) ? value : [value];
}

function sameValue(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function includesValue(list: Json[], value: Json): boolean {
  return list.some((v) => sameValue(v, value));
}

function dedupeValues(values: Json[]): Json[] {
  const out: Json[] = [];
  for (const v of values) if (!includesValue(out, v)) out.push(v);
  return out;
}
