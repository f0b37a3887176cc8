import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { issueSession } from "../../src/edge/ui/session";
import { ADMIN_TOKEN, admin, call, create, createProject, uiSession, upload, type TestProject } from "./helpers";

// What the admin UI adds to the admin API: session-cookie auth with CSRF on writes, and
// the cheap read-outs its pages chart (cohort trend, computation distribution).
let project: TestProject;
const DAY = 86_400_000;

beforeAll(async () => {
  project = await createProject("uiapi");
});

async function define(kind: "cohorts" | "computations", name: string, definition: unknown): Promise<string> {
  const id = await create(project.id, kind, { name, definition });
  return id;
}

describe("the admin API with the UI's session cookie", () => {
  it("signing in sets a signed cookie that reads the API; writes also need the CSRF header", async () => {
    const { signIn, cookie, csrf } = await uiSession();
    expect(signIn.status).toBe(303);
    const body = JSON.stringify({ name: "Static via cookie", definition: { type: "static" } });
    const post = (headers: Record<string, string>) =>
      call(`/admin/api/projects/${project.id}/cohorts`, { method: "POST", headers: { "content-type": "application/json", cookie, ...headers }, body });

    expect((await call("/admin/api/projects", { headers: { cookie } })).status).toBe(200);
    const refused = await post({});
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "forbidden", message: expect.stringContaining("x-csrf-token") } });
    expect((await post({ "x-csrf-token": csrf })).status).toBe(201);
  });

  it("expired, forged or missing sessions are 401s on the API and redirects in the UI", async () => {
    const expired = await issueSession(ADMIN_TOKEN, Date.now() - 13 * 3_600_000);
    const forged = await issueSession("not-the-admin-token", Date.now());
    for (const value of [expired, forged]) {
      expect((await call("/admin/api/projects", { headers: { cookie: `tailor_admin=${value}` } })).status).toBe(401);
      const page = await call("/admin/p/uiapi/keys", { headers: { cookie: `tailor_admin=${value}` }, redirect: "manual" });
      expect(page.status).toBe(302);
      expect(page.headers.get("location")).toBe("/admin/sign-in?next=%2Fadmin%2Fp%2Fuiapi%2Fkeys");
    }
    expect((await call("/admin/api/projects")).status).toBe(401);
  });
});

describe("read-outs for the UI's charts", () => {
  it("a cohort's trend: daily enters and exits from the change log, zero-filled", async () => {
    const cohort = await define("cohorts", "Trend", { type: "static" });
    const now = Date.now();
    const rows: [string, number, number][] = [
      ["u:a", 1, now],
      ["u:b", 1, now],
      ["u:a", 0, now - DAY],
      ["u:c", 1, now - 20 * DAY],
    ];
    for (const [key, inCohort, at] of rows) {
      await env.DB.prepare("INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?, ?, ?, ?, ?)")
        .bind(project.id, cohort, key, inCohort, at)
        .run();
    }
    const res = await admin(`/projects/${project.id}/cohorts/${cohort}/trend?days=3`);
    expect(res.status).toBe(200);
    const { days } = await res.json<{ days: { day: number; entered: number; exited: number }[] }>();
    expect(days.map((d) => [d.entered, d.exited])).toEqual([
      [0, 0],
      [0, 1],
      [2, 0],
    ]);
    expect(days[2]!.day).toBe(Math.floor(now / DAY) * DAY);
    expect((await admin(`/projects/${project.id}/cohorts/coh_missing/trend`)).status).toBe(404);
  });

  it("a computation's distribution over a sample of profiles", async () => {
    const spend = await define("computations", "Spend", { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" });
    const now = Date.now();
    for (const [user, revenue] of [
      ["dist-1", 10],
      ["dist-2", 20],
      ["dist-3", 90],
    ] as const) {
      expect(
        (await upload({ api_key: project.apiKey, events: [{ user_id: user, event_type: "Order Completed", event_properties: { revenue } }] })).status,
      ).toBe(200);
      await env.DB.prepare("INSERT OR IGNORE INTO users (project_id, profile_key, user_id, event_count, first_seen, last_seen) VALUES (?, ?, ?, 1, ?, ?)")
        .bind(project.id, `u:${user}`, user, now, now)
        .run();
    }
    const res = await admin(`/projects/${project.id}/computations/${spend}/distribution?sample=10`);
    expect(res.status).toBe(200);
    const body = await res.json<{ sampled: number; distribution: { kind: string; count: number; min: number; max: number; mean: number } }>();
    expect(body.sampled).toBe(3);
    expect(body.distribution).toMatchObject({ kind: "numeric", count: 3, min: 10, max: 90, mean: 40 });
  });

  it("the user lookup answers with the profile's scores too", async () => {
    const res = await admin(`/projects/${project.id}/users?user_id=dist-1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ profile: { user_id: "dist-1" }, segments: { cohort_ids: [] }, scores: {} });
  });
});
