import type { Context } from "hono";
import { projectApiPath } from "../../core/project";
import { apiClient, ApiFailure, must, projectClient, type ApiClient } from "./api";
import type { UiEnv } from "./auth";
import type { PageContext, ProjectRef } from "./layout";
import { cookieValue, isHttps, ONCE_COOKIE, onceCookie, openOnce, sealOnce } from "./session";

export type UiContext = Context<UiEnv>;

/** A definition as the admin API presents it. */
export interface Item {
  id: string;
  name: string;
  description: string;
  definition: Record<string, unknown>;
  status: "active" | "inactive";
  version: number;
  created_at: number;
  updated_at: number;
  size?: number;
  /** Names the definition uses that the project's events never have. */
  warnings?: { path: string; message: string }[];
}

/**
 * Everything a project page needs: an API client addressing the project, the browser's
 * path to the same (`apiBase`, for live-refreshing elements) and the layout's context.
 */
export async function projectPage(c: UiContext, section: string): Promise<{ api: ApiClient; ctx: PageContext; project: string; apiBase: string }> {
  const api = apiClient(c, c.get("csrf"));
  const { projects } = await must(api.get<{ projects: ProjectRef[] }>("/projects"));
  const project = c.req.param("project") ?? "";
  if (!projects.some((p) => p.id === project))
    throw new ApiFailure({ status: 404, ok: false, json: { error: { code: "not_found", message: `Project ${project} not found` } } });
  return {
    api: projectClient(api, project),
    project,
    apiBase: `/admin/api${projectApiPath(project)}`,
    ctx: { csrf: c.get("csrf"), project, projects, section },
  };
}

/** Posted form fields (strings only; the last value of a repeated name wins). */
export async function formFields(c: UiContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (typeof last === "string") out[k] = last;
  }
  return out;
}

/** A posted file's text, when the form had one. */
export async function formFile(c: UiContext, name: string): Promise<string | undefined> {
  const body = await c.req.parseBody({ all: true });
  const value = body[name];
  const file = Array.isArray(value) ? value[0] : value;
  return typeof file === "object" && file !== null && "text" in file && file.size > 0 ? file.text() : undefined;
}

/** Redirect-after-post whose target shows `values` once (a secret the API returns only now). */
export async function redirectShowingOnce(c: UiContext, location: string, values: Record<string, string>): Promise<Response> {
  c.header("set-cookie", onceCookie(await sealOnce(c.env.ADMIN_TOKEN, c.get("session"), values), isHttps(c.req.url)), { append: true });
  return c.redirect(location, 303);
}

/** What a redirect left for this page to show once; the cookie is cleared and the page not cached. */
export async function takeShownOnce(c: UiContext): Promise<Record<string, string> | null> {
  const raw = cookieValue(c.req.header("cookie"), ONCE_COOKIE);
  if (raw === undefined) return null;
  c.header("set-cookie", onceCookie("", isHttps(c.req.url), 0), { append: true });
  c.header("cache-control", "no-store");
  return openOnce(c.env.ADMIN_TOKEN, c.get("session"), raw);
}
