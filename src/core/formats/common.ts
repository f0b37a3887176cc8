import { z } from "zod";
import { isJsonObject, type JsonObject } from "../json";
import { fitsInStore, withinLimits } from "../json-limits";

/**
 * Pieces every non-Amplitude wire format (Segment/RudderStack, PostHog) validates the
 * same way. A format module parses its envelope, validates each message with zod and
 * maps it to `TailorEvent`; a batch with any bad message is refused whole, naming each.
 */

/** One thing wrong with one message: its position in the batch, the field, why. */
export interface Problem {
  index: number;
  field: string;
  message: string;
}

/** At most this many problems are reported (the rest are counted). */
export const MAX_REPORTED = 100;

export const MAX_ID = 1024;

/** Messages per request, whatever the format (Amplitude's is 2,000). */
export const MAX_MESSAGES = 5_000;

/** A user or device id: a non-empty string, or a number (sent as a string). */
export const idSchema = z
  .union([z.string().min(1).max(MAX_ID), z.number().finite()], { error: `expected a non-empty string (up to ${MAX_ID} characters) or a number` })
  .transform(String);

/** A JSON object within the store's depth and size limits (never recursed into by zod). */
export const objectSchema = z.custom<JsonObject>((v) => isJsonObject(v) && withinLimits(v), {
  message: `expected an object (at most 40 levels deep, strings up to 32 KB)`,
});

/** An ISO-8601 date string or epoch milliseconds, as epoch milliseconds. */
export const timeSchema = z.union([z.string().max(64), z.number()], { error: "expected an ISO-8601 date or epoch milliseconds" }).transform((v, ctx) => {
  const ms = typeof v === "number" ? v : Date.parse(v);
  if (!Number.isSafeInteger(Math.trunc(ms)) || ms < 0) {
    ctx.addIssue({ code: "custom", message: "expected an ISO-8601 date or epoch milliseconds" });
    return z.NEVER;
  }
  return Math.trunc(ms);
});

export const eventNameSchema = z.string().min(1).max(1024);

/** Problems from a zod error, at `index`, each naming its field path. */
export function problemsOf(index: number, error: z.ZodError, under?: string): Problem[] {
  return error.issues.map((issue) => ({
    index,
    field: [...(under === undefined ? [] : [under]), ...issue.path.map(String)].join(".") || "message",
    message: issue.message,
  }));
}

/** Validates every message with `parse`; any problem refuses the batch (like Amplitude's). */
export function parseAll<T>(
  messages: readonly unknown[],
  parse: (raw: unknown, index: number) => T | Problem[],
): { ok: true; value: T[] } | { ok: false; problems: Problem[] } {
  const value: T[] = [];
  const problems: Problem[] = [];
  messages.forEach((raw, index) => {
    const result = parse(raw, index);
    if (Array.isArray(result)) problems.push(...result);
    else value.push(result);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** The problem of an event too big to store, or none. */
export function sizeProblem(index: number, event: unknown): Problem[] {
  return fitsInStore(event) ? [] : [{ index, field: "message", message: "message is larger than 1 MB once stored" }];
}

/**
 * When it happened: the client's own time, corrected for its clock's skew when the
 * client also says when it sent the batch (server receive time − (sent − happened)).
 */
export function happenedAt(clientTime: number | undefined, sentAt: number | undefined, receivedAt: number): number {
  if (clientTime === undefined) return receivedAt;
  if (sentAt === undefined) return clientTime;
  return Math.max(0, receivedAt - (sentAt - clientTime));
}

/** Drops the keys whose value is undefined (optional TailorEvent members stay absent). */
export function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
