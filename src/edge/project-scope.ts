import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { projectIdSchema } from "../core/project";
import type { AppEnv } from "./app";
import { db } from "./db";
import { AppError } from "./errors";
import { getDefinition, type DefinitionKind } from "./definition-store";
import { projectExists } from "./project-store";
import { parseWith } from "./validate";

/**
 * The one place an admin route learns its project: `/admin/api/projects/:project/…`
 * names it, this checks it exists (404 otherwise) and hands it to the handler.
 */
export const requireProject = createMiddleware<AppEnv>(async (c, next) => {
  const id = parseWith(projectIdSchema, c.req.param("project"), "project");
  if (!(await projectExists(db(c.env), id)))
    throw new AppError(404, "not_found", `Project ${id} not found`, [{ field: "project", message: "no such project" }]);
  c.set("projectId", id);
  await next();
});

/** The project a request was addressed to (by `requireProject`, or a secret key's auth). */
export function requestProject(c: Context<AppEnv>): string {
  const id = c.get("projectId");
  if (id === undefined) throw new Error(`${c.req.path}: no project resolved (route mounted outside the project scope)`);
  return id;
}

/** The definition of this kind the path names (`/:id`), in the request's project (404 when it has none). */
export function requestedDefinition(c: Context<AppEnv>, kind: DefinitionKind) {
  return getDefinition(db(c.env), kind, requestProject(c), c.req.param("id") ?? "");
}
