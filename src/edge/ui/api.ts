import type { Context } from "hono";
import type { UiEnv } from "./auth";
import { adminApi } from "../routes/admin";
import { projectApiPath } from "../../core/project";

export interface ApiResult<T = unknown> {
  status: number;
  ok: boolean;
  json: T;
}

/**
 * The UI's one way to read and write: the admin API sub-app, called in-process with the
 * browser's own session cookie (and, for writes, the CSRF token the form carried), so
 * the API's auth, validation and errors apply exactly as to any other client.
 */
export function apiClient(c: Context<UiEnv>, csrf: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { cookie: c.req.header("cookie") ?? "" };
    if (method !== "GET") headers["x-csrf-token"] = csrf;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await adminApi.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, c.env, c.executionCtx);
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = { error: { code: "internal", message: text.slice(0, 200) } };
    }
    return { status: res.status, ok: res.ok, json: json as T };
  };
  return {
    get: <T>(path: string) => call<T>("GET", path),
    send: <T>(method: "POST" | "PUT" | "DELETE", path: string, body?: unknown) => call<T>(method, path, body),
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

/** The same client addressing one project: paths are relative to `/admin/api/projects/:project` ("" is the project itself). */
export function projectClient(api: ApiClient, project: string): ApiClient {
  const base = projectApiPath(project);
  return { get: (path) => api.get(base + path), send: (method, path, body) => api.send(method, base + path, body) };
}

/** A failed read the page cannot do without. */
export class ApiFailure extends Error {
  constructor(readonly result: ApiResult) {
    super((result.json as { error?: { message?: string } } | null)?.error?.message ?? `admin API answered ${result.status}`);
  }
}

export async function must<T>(p: Promise<ApiResult<T>>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new ApiFailure(r);
  return r.json;
}
