import type { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "./app";
import { errorSchema, OPERATION, type OperationSpec } from "./api-contract";

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12, which OpenAPI 3.1 uses as is; requests as clients write them, answers as the server writes them. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  return rest;
}

/** `/projects/:project/cohorts/:id` → `/projects/{project}/cohorts/{id}`, with its path parameters. */
function openApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

function queryParameters(schema: z.ZodType): JsonSchema[] {
  const object = jsonSchema(schema, "input");
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: "query", required: required.has(name), ...(description === undefined ? {} : { description }), schema: rest };
  });
}

function operationObject(spec: OperationSpec, params: string[], tag: string): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(spec.responses)) {
    const mediaType = answer.mediaType ?? "application/json";
    responses[status] = {
      description: answer.description,
      ...(answer.schema !== undefined
        ? { content: { [mediaType]: { schema: jsonSchema(answer.schema, "output") } } }
        : answer.mediaType !== undefined
          ? { content: { [mediaType]: {} } }
          : {}),
    };
  }
  responses.default = {
    description: "An error: 400 names each field refused",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
  return {
    tags: [tag],
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    parameters: [
      ...params.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...(spec.query === undefined ? [] : queryParameters(spec.query)),
    ],
    ...(spec.body === undefined ? {} : { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(spec.body, "input") } } } }),
    responses,
  };
}

/** What a project owns is grouped by collection (`/projects/{project}/cohorts/…` → cohorts); the project's own routes are "projects". */
const COLLECTIONS =
  /^\/projects\/\{project\}\/(archive|backfills|cohorts|computations|deletions|destinations|exports|models|predictions|recommendations|reconciliations|syncs|training-jobs)\b/;
function tagOf(path: string): string {
  return COLLECTIONS.exec(path)?.[1] ?? (path.startsWith("/training-jobs") ? "training-jobs" : "projects");
}

type Handler = { [OPERATION]?: OperationSpec; __COMPOSED_HANDLER?: Handler };

/** The operation a route's handler carries: Hono wraps a mounted sub-app's handlers (each wrap keeps the original under `__COMPOSED_HANDLER`). */
export function declaredOperation(handler: unknown): OperationSpec | undefined {
  let h = handler as Handler | undefined;
  while (h !== undefined && h[OPERATION] === undefined) h = h.__COMPOSED_HANDLER;
  return h?.[OPERATION];
}

/**
 * The OpenAPI 3.1 document of every route of `app` that declares an operation, under
 * `base` (where `app` is mounted). Paths and methods in a stable order, so the file
 * committed in docs/ changes only when a contract does.
 */
export function openApiDocument(app: Hono<AppEnv>, base: string, info: { title: string; version: string; description: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of app.routes) {
    const spec = declaredOperation(route.handler);
    if (spec === undefined) continue;
    const { path, params } = openApiPath(`${base}${route.path}`);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationObject(spec, params, tagOf(path.slice(base.length)));
  }
  const sorted = Object.fromEntries(
    Object.keys(paths)
      .sort()
      .map((p) => [p, Object.fromEntries(Object.entries(paths[p]!).sort(([a], [b]) => a.localeCompare(b)))]),
  );
  return {
    openapi: "3.1.0",
    info,
    servers: [{ url: "/" }],
    security: [{ adminToken: [] }],
    paths: sorted,
    components: {
      schemas: { Error: jsonSchema(errorSchema, "output") },
      securitySchemes: { adminToken: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret" } },
    },
  };
}
