import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { ProfileRef } from "../../src/core/event";
import { profileStub } from "../../src/durable/stub";
import { csrfToken, readSession } from "../../src/edge/ui/session";

export const ADMIN_TOKEN = "test-admin-token";
const ORIGIN = "http://tailor.test";

/** A request through the real Worker (router, middleware, bindings). */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${ADMIN_TOKEN}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return call(`/admin/api${path}`, { ...init, headers });
}

export interface TestProject {
  id: string;
  apiKey: string;
  secretKey: string;
}

export async function createProject(id = "acme"): Promise<TestProject> {
  const res = await admin("/projects", { method: "POST", body: JSON.stringify({ id }) });
  if (res.status !== 201) throw new Error(`project create failed: ${res.status} ${await res.text()}`);
  const body = await res.json<{ api_key: string; secret_key: string }>();
  return { id, apiKey: body.api_key, secretKey: body.secret_key };
}

/** Creates a resource of the admin API (`kind`: cohorts, destinations, syncs, …) in a project: expects a 201, answers its id. */
export async function create(projectId: string, kind: string, body: unknown): Promise<string> {
  const res = await admin(`/projects/${projectId}/${kind}`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ id: string }>()).id;
}

/**
 * Signs in to the admin UI as a browser does (POST /admin/sign-in with the admin token):
 * the session cookie (`tailor_admin=…`, for a `cookie` header), its CSRF token, and the
 * sign-in response itself.
 */
export async function uiSession(): Promise<{ cookie: string; csrf: string; signIn: Response }> {
  const signIn = await call("/admin/sign-in", { method: "POST", body: new URLSearchParams({ token: ADMIN_TOKEN }), redirect: "manual" });
  const cookie = /tailor_admin=[^;]+/.exec(signIn.headers.get("set-cookie") ?? "")?.[0];
  if (cookie === undefined) throw new Error(`sign-in set no session cookie: ${signIn.status} ${await signIn.clone().text()}`);
  const session = await readSession(ADMIN_TOKEN, cookie.slice("tailor_admin=".length), Date.now());
  if (session === null) throw new Error("sign-in set a session cookie that does not read back");
  return { cookie, csrf: await csrfToken(ADMIN_TOKEN, session), signIn };
}

export function upload(body: unknown, path = "/2/httpapi", headers: Record<string, string> = {}): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function profile(projectId: string, ref: ProfileRef) {
  return profileStub(env, projectId, ref);
}

export const user = (id: string): ProfileRef => ({ kind: "user", id });
export const device = (id: string): ProfileRef => ({ kind: "device", id });

/**
 * Destinations answered inside the isolate: every outbound fetch (the tests' destinations
 * are http://dest.test/…) is recorded — method, path, headers, body — and answered with
 * the status `answer` gives its path; nothing reaches the network.
 */
export function fakeDestinations(answer: (path: string) => number = () => 200) {
  const calls: { method: string; path: string; headers: Record<string, string>; body: string; status: number }[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const status = answer(url.pathname);
    calls.push({ method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body: await req.text(), status });
    return new Response(status === 200 ? "ok" : "nope", { status });
  });
  return { calls, restore: () => spy.mockRestore() };
}
