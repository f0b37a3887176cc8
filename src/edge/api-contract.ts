import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app";
import { unknownKeys } from "../core/unknown-keys";
import { AppError } from "./errors";
import { jsonBody, parseWith } from "./validate";

/**
 * A route's contract, declared once beside its handler: the middleware `operation()`
 * returns validates the query and the JSON body (a 400 naming the field, as everywhere)
 * and carries the declaration, from which `openapi.ts` writes the OpenAPI document.
 * Handlers read what it parsed with `c.req.valid("query")` and `c.req.valid("json")`.
 */
export interface OperationSpec {
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Success answers by status: a JSON schema, another media type (a file), or no body. */
  responses: Record<number, ResponseSpec>;
}

export interface ResponseSpec {
  description: string;
  /** The JSON body; absent with `mediaType` (a file) or for an answer without a body. */
  schema?: z.ZodType;
  mediaType?: string;
}

export const OPERATION = Symbol("tailor.operation");

type Parsed<S> = S extends z.ZodType ? z.output<S> : never;
type Input<Q, B> = { in: object; out: { query: Parsed<Q>; json: Parsed<B> } };
export type OperationMiddleware<Q, B> = MiddlewareHandler<AppEnv, string, Input<Q, B>> & { [OPERATION]: OperationSpec };

export function operation<const S extends OperationSpec>(spec: S): OperationMiddleware<S["query"], S["body"]> {
  let bodyJsonSchema: Record<string, unknown> | undefined;
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (spec.query !== undefined) c.req.addValidatedData("query", parseWith(spec.query, c.req.query(), "query") as object);
    if (spec.body !== undefined) {
      const parsed = (await jsonBody(c, spec.body)) as object;
      // Zod drops keys it does not know; a write that carries one (a typo, a misplaced clause) is refused instead.
      bodyJsonSchema ??= z.toJSONSchema(spec.body, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
      const unknown = unknownKeys(bodyJsonSchema, await c.req.json());
      if (unknown.length > 0)
        throw new AppError(
          400,
          "invalid_request",
          `Invalid body: ${unknown[0]}: unknown key`,
          unknown.map((field) => ({ field, message: "unknown key: not part of this request's schema" })),
        );
      c.req.addValidatedData("json", parsed);
    }
    await next();
    if (c.env?.CHECK_RESPONSES === "1") await checkResponse(spec, c.res, `${c.req.method} ${c.req.path}`);
  };
  return Object.assign(middleware, { [OPERATION]: spec }) as OperationMiddleware<S["query"], S["body"]>;
}

/**
 * Test runs (CHECK_RESPONSES=1) hold every answer to its declaration: a success status
 * that was not declared, or a JSON body its schema refuses, fails the request loudly.
 */
async function checkResponse(spec: OperationSpec, res: Response, route: string): Promise<void> {
  if (res.status >= 300) return; // errors share one shape (errorSchema), written by app.ts alone
  const declared = spec.responses[res.status];
  if (declared === undefined) throw new Error(`${route} answered ${res.status}, which its contract does not declare`);
  if (declared.schema === undefined) return;
  const result = declared.schema.safeParse(await res.clone().json());
  if (!result.success) throw new Error(`${route} answered ${res.status} against its contract: ${z.prettifyError(result.error)}`);
}

/** Every error answer of the admin API (app.ts). */
export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Most often a list of `{field, message}`, one per field refused. */
    details: z.union([z.array(z.object({ field: z.string(), message: z.string() })), z.record(z.string(), z.unknown())]).optional(),
  }),
});

/** Shorthands for the common answers. */
export const json = (description: string, schema: z.ZodType): ResponseSpec => ({ description, schema });
export const noContent: ResponseSpec = { description: "Done; no body" };

/** Epoch milliseconds, as every time in the admin API. */
export const epochMs = z.number().int().describe("epoch milliseconds");
