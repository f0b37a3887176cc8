import type { TailorEvent } from "../event";
import type { Json } from "../json";
import type { Comparator, EventSpec, FilterOp } from "./schema";

/** A number from a JSON number or a numeric string; undefined otherwise. */
export function asNumber(value: Json | undefined): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined && (typeof a === "number" || typeof b === "number")) return x === y;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function one(actual: Json, op: FilterOp, expected: Json | undefined): boolean {
  switch (op) {
    case "eq":
      return equal(actual, expected ?? null);
    case "in":
      return Array.isArray(expected) && expected.some((e) => equal(actual, e));
    case "contains":
      return typeof actual === "string" && typeof expected === "string" && actual.includes(expected);
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const x = asNumber(actual);
      const y = asNumber(expected);
      if (x === undefined || y === undefined) return false;
      return op === "gt" ? x > y : op === "gte" ? x >= y : op === "lt" ? x < y : x <= y;
    }
    default:
      return false;
  }
}

const NEGATED: Partial<Record<FilterOp, FilterOp>> = { neq: "eq", not_in: "in", not_contains: "contains" };

/**
 * One condition on a property value (undefined = not set). A list value matches when
 * any element does (`tags eq "vip"`); the negated ops (neq, not_in, not_contains) are
 * true exactly when their positive op is false, including for a missing value.
 */
export function testCondition(actual: Json | undefined, op: FilterOp, expected: Json | undefined): boolean {
  if (op === "set") return actual !== undefined && actual !== null;
  if (op === "not_set") return actual === undefined || actual === null;
  const positive = NEGATED[op];
  if (positive !== undefined) return !testCondition(actual, positive, expected);
  if (actual === undefined || actual === null) return false;
  if (Array.isArray(actual) && op !== "contains") return actual.some((a) => one(a, op, expected));
  if (Array.isArray(actual)) return actual.some((a) => equal(a, expected ?? null));
  return one(actual, op, expected);
}

/** An event's property: `event_properties` first, then Amplitude's top-level fields (revenue, price, …). */
export function eventProperty(event: TailorEvent, name: string): Json | undefined {
  const own = event.event_properties[name];
  if (own !== undefined) return own;
  return event.attrs?.[name];
}

export function matchesSpec(event: TailorEvent, spec: EventSpec): boolean {
  if (spec.type !== "*" && spec.type !== event.event_type) return false;
  return spec.filters.every((f) => testCondition(eventProperty(event, f.property), f.op, f.value));
}

export function compare(actual: number, op: Comparator, expected: number): boolean {
  switch (op) {
    case ">=":
      return actual >= expected;
    case ">":
      return actual > expected;
    case "=":
      return actual === expected;
    case "<=":
      return actual <= expected;
    case "<":
      return actual < expected;
  }
}
