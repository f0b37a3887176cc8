import { z } from "zod";
import { parseValue, showValue, type Fields } from "./forms";

/**
 * Text box codecs of the cohort editor. Each encode/decode pair round-trips every value
 * the definition language accepts, so a stored definition comes back from the form
 * unchanged: values that would read back differently as plain text are shown as JSON
 * (`"42"` for the string 42, `null` for null).
 */

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A filter or property value: what parseValue reads, and `null` for null. */
export function decodeValue(text: string | undefined, op?: string): unknown {
  return (text ?? "").trim() === "null" ? null : parseValue(text, op);
}

export function encodeValue(value: unknown, op?: string): string {
  if (value === undefined) return "";
  const plain = showValue(value);
  return same(decodeValue(plain, op), value) ? plain : JSON.stringify(value);
}

/** A number box: undefined when empty; text that is not a number stays text (the API names it). */
export function decodeNumber(text: string | undefined): number | string | undefined {
  const s = (text ?? "").trim();
  if (s === "") return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : s;
}

export const encodeNumber = (value: unknown): string => (value === undefined ? "" : typeof value === "number" ? String(value) : showValue(value));

/** Window dates: epoch milliseconds, an ISO date (2024-01-31) or an ISO time with offset. */
export const instantText = z.union([z.string().regex(/^\d+$/), z.iso.datetime({ offset: true }), z.iso.date()]);

export function decodeInstant(text: string | undefined): number | string | undefined {
  const s = (text ?? "").trim();
  if (s === "") return undefined;
  return /^\d+$/.test(s) ? Number(s) : s;
}

export const encodeInstant = (value: unknown): string => (value === undefined ? "" : String(value));

export const DURATION_UNITS = ["days", "hours", "minutes"] as const;

/** A duration's boxes: one per unit, empty when the unit is not given. */
export function durationToFields(duration: unknown, prefix: string, out: Fields): void {
  const d = (duration ?? {}) as Record<string, unknown>;
  for (const unit of DURATION_UNITS) if (d[unit] !== undefined) out[`${prefix}.${unit}`] = encodeNumber(d[unit]);
}

export function durationFromFields(fields: Fields, prefix: string): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const unit of DURATION_UNITS) {
    const v = decodeNumber(fields[`${prefix}.${unit}`]);
    if (v !== undefined) d[unit] = v;
  }
  return d;
}
