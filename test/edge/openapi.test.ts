import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../src/edge/app";
import { json, noContent, operation } from "../../src/edge/api-contract";
import { declaredOperation, openApiDocument } from "../../src/edge/openapi";
import { adminApi, adminOpenApi } from "../../src/edge/routes/admin";

const info = { title: "t", version: "1", description: "d" };

describe("the admin API's OpenAPI document", () => {
  it("is the committed docs/openapi.json (run `npm run openapi` after changing a contract)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8"));
    expect(adminOpenApi()).toEqual(committed);
  });

  it("describes every admin route: none is left without a declared contract", () => {
    // Hono lists each handler of a route apart: a route is declared when one of them carries its operation.
    const routes = new Map<string, boolean>();
    for (const r of adminApi.routes.filter((r) => r.method !== "ALL" && r.path !== "/openapi.json")) {
      const key = `${r.method} ${r.path}`;
      routes.set(key, (routes.get(key) ?? false) || declaredOperation(r.handler) !== undefined);
    }
    expect([...routes].filter(([, declared]) => !declared).map(([key]) => key)).toEqual([]);
    expect(routes.size).toBeGreaterThan(60);
    const doc = adminOpenApi() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.values(doc.paths).flatMap((p) => Object.keys(p)).length).toBe(routes.size);
  });
});

describe("openApiDocument", () => {
  const app = createApp();
  const sub = createApp();
  sub.get(
    "/:id",
    operation({
      summary: "Read one",
      query: z.object({ limit: z.coerce.number().int().max(5).default(2).describe("how many"), q: z.string() }),
      responses: { 200: json("It", z.object({ id: z.string(), at: z.number() })) },
    }),
    (c) => c.json({ id: c.req.param("id"), at: 1 }),
  );
  sub.delete("/:id", operation({ summary: "Delete one", responses: { 204: noContent } }), (c) => c.body(null, 204));
  sub.post(
    "/",
    operation({ summary: "Create", body: z.object({ name: z.string().min(1) }), responses: { 201: { description: "A file", mediaType: "text/csv" } } }),
    (c) => c.text("a", 201),
  );
  sub.get("/undeclared", (c) => c.text("x"));
  app.route("/projects/:project/things", sub);
  const doc = openApiDocument(app, "/api", info) as { paths: Record<string, Record<string, Record<string, unknown>>> };

  it("turns Hono's paths into OpenAPI's, with path and query parameters", () => {
    expect(Object.keys(doc.paths)).toEqual(["/api/projects/{project}/things", "/api/projects/{project}/things/{id}"]);
    const read = doc.paths["/api/projects/{project}/things/{id}"]!.get!;
    expect(read.tags).toEqual(["projects"]);
    expect(read.parameters).toMatchObject([
      { name: "project", in: "path", required: true, schema: { type: "string" } },
      { name: "id", in: "path", required: true, schema: { type: "string" } },
      { name: "limit", in: "query", required: false, description: "how many", schema: { type: "integer", maximum: 5, default: 2 } },
      { name: "q", in: "query", required: true, schema: { type: "string" } },
    ]);
    expect(read.responses).toMatchObject({
      200: { content: { "application/json": { schema: { type: "object", required: ["id", "at"] } } } },
      default: { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    });
  });

  it("declares bodies, files and empty answers; leaves out routes without a contract", () => {
    const things = doc.paths["/api/projects/{project}/things"]!;
    expect(Object.keys(things)).toEqual(["post"]);
    expect(things.post!.requestBody).toEqual({
      required: true,
      content: { "application/json": { schema: { type: "object", properties: { name: { type: "string", minLength: 1 } }, required: ["name"] } } },
    });
    expect(things.post!.responses).toMatchObject({ 201: { description: "A file", content: { "text/csv": {} } } });
    expect(doc.paths["/api/projects/{project}/things/{id}"]!.delete!.responses).toMatchObject({ 204: { description: "Done; no body" } });
    expect((doc.paths["/api/projects/{project}/things/{id}"]!.delete!.responses as Record<string, object>)[204]).not.toHaveProperty("content");
  });

  it("validates what it declares: a bad query is a 400 naming the field", async () => {
    const res = await app.request("/projects/p/things/x?limit=9&q=a");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "invalid_request", details: [{ field: "limit" }] } });
    const good = await app.request("/projects/p/things/x?q=a");
    expect(await good.json()).toEqual({ id: "x", at: 1 });
  });
});
