import { describe, expect, it } from "vitest";
import { admin, call, createProject, upload } from "./helpers";
import committedOpenApi from "../../docs/openapi.json";

describe("admin API auth", () => {
  it("refuses requests without the bearer token, or with a wrong one", async () => {
    const none = await call("/admin/api/projects");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { code: "unauthorized", message: "Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>" },
    });
    const wrong = await call("/admin/api/projects", { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: { code: "unauthorized", message: "Invalid admin token" } });
  });
});

describe("the admin API's description", () => {
  it("is served without the token at /admin/api/openapi.json, and is the committed docs/openapi.json", async () => {
    const res = await call("/admin/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc).toEqual(committedOpenApi);
  });
});

describe("project addressing", () => {
  it("every project-scoped route answers 404 naming the project when it does not exist", async () => {
    const paths = [
      "",
      "/settings",
      "/users?user_id=u",
      "/cohorts",
      "/computations/cmp_x/distribution",
      "/predictions",
      "/recommendations",
      "/destinations",
      "/syncs",
      "/backfills",
      "/archive",
      "/models",
      "/training-jobs",
      "/deletions",
    ];
    for (const path of paths) {
      const res = await admin(`/projects/nowhere${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual({
        error: { code: "not_found", message: "Project nowhere not found", details: [{ field: "project", message: "no such project" }] },
      });
    }
    const write = await admin("/projects/nowhere/cohorts", { method: "POST", body: JSON.stringify({ name: "x", definition: {} }) });
    expect(write.status).toBe(404);
  });

  it("the old project-less routes are gone: no silent default project", async () => {
    await createProject("default");
    for (const path of ["/cohorts", "/models", "/archive", "/training-jobs", "/cohorts?project=default"]) expect((await admin(path)).status, path).toBe(404);
  });
});

describe("projects and keys", () => {
  it("creates a project with keys, stores only the secret's hash, and lists it", async () => {
    const p = await createProject("keys-one");
    expect(p.apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect(p.secretKey).toMatch(/^[0-9a-f]{32}$/);
    const listed = await (await admin("/projects")).json<{ projects: { id: string; api_key: string; secret_key_prefix: string }[] }>();
    const row = listed.projects.find((x) => x.id === "keys-one");
    expect(row).toMatchObject({ api_key: p.apiKey, secret_key_prefix: p.secretKey.slice(0, 6) });
    expect(JSON.stringify(listed)).not.toContain(p.secretKey);
  });

  it("400 with the field named for a bad id, 409 for a duplicate", async () => {
    const bad = await admin("/projects", { method: "POST", body: JSON.stringify({ id: "Has Spaces/Slash" }) });
    expect(bad.status).toBe(400);
    const body = await bad.json<{ error: { code: string; details: { field: string }[] } }>();
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.details[0]?.field).toBe("id");
    const notJson = await admin("/projects", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    await createProject("keys-dup");
    const dup = await admin("/projects", { method: "POST", body: JSON.stringify({ id: "keys-dup" }) });
    expect(dup.status).toBe(409);
  });

  it("rotating the ingest key stops the old one", async () => {
    const p = await createProject("keys-rotate");
    const ev = [{ user_id: "rotate-user", event_type: "A" }];
    expect((await upload({ api_key: p.apiKey, events: ev })).status).toBe(200);
    const res = await admin(`/projects/${p.id}/keys/rotate`, { method: "POST", body: JSON.stringify({ kind: "ingest" }) });
    expect(res.status).toBe(201);
    const { key } = await res.json<{ key: string }>();
    expect((await upload({ api_key: p.apiKey, events: ev })).status).toBe(400);
    expect((await upload({ api_key: key, events: ev })).status).toBe(200);
  });

  it("unknown routes and projects are JSON 404s", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "not_found", message: "No route for GET /nope" } });
    const p = await admin("/projects/missing-project");
    expect(p.status).toBe(404);
  });

  it("GET /health", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
