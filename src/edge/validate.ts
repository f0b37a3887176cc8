import type { Context } from "hono";
import type { z } from "zod";
import { AppError } from "./errors";

/** Parses a JSON body against a schema; bad JSON or a bad shape is a 400 naming each field. */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new AppError(400, "invalid_request", "Request body must be valid JSON");
  }
  return parseWith(schema, raw, "body");
}

export function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ field: i.path.join(".") || where, message: i.message }));
  const first = details[0]!;
  throw new AppError(400, "invalid_request", `Invalid ${where}: ${first.field}: ${first.message}`, details);
}
