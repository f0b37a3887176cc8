import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { profileObjectName } from "../../src/core/event";
import { admin, call, createProject, uiSession, upload, user, type TestProject } from "./helpers";

let project: TestProject;
let other: TestProject;
let auth: string;
let vipId: string;

async function settle(ids: string[]) {
  for (const id of ids) {
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user(id)));
    await runInDurableObject(stub, (_, s) => s.storage.sql.exec("UPDATE due_work SET due_at = 0"));
    await runDurableObjectAlarm(stub);
  }
}

const api = (path: string, init: RequestInit = {}, authorization = auth) =>
  call(path, { ...init, headers: { authorization, ...(init.body ? { "content-type": "application/json" } : {}) } });

beforeAll(async () => {
  project = await createProject("cohortapi");
  other = await createProject("cohortapi-other");
  auth = `Basic ${btoa(`${project.apiKey}:${project.secretKey}`)}`;
  const res = await admin(`/projects/${project.id}/cohorts`, {
    method: "POST",
    body: JSON.stringify({ name: "Buyers", definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } } }),
  });
  vipId = (await res.json<{ id: string }>()).id;
  await upload({
    api_key: project.apiKey,
    events: [
      { user_id: "api-user-1", event_type: "Order Completed", user_properties: { email: "a@x.example", plan: "pro" } },
      { user_id: "api-user-2", event_type: "Order Completed", user_properties: { email: 'b "quoted"@x.example' } },
      { user_id: "api-user-3", event_type: "Page Viewed" },
    ],
  });
  await settle(["api-user-1", "api-user-2", "api-user-3"]);
});

describe("auth", () => {
  it("401 in the dashboard error shape without, or with mismatched, keys", async () => {
    const none = await call("/api/3/cohorts");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: { http_code: 401, code: 401, type: "unauthorized", message: "Missing credentials: send Authorization: Basic base64(api_key:secret_key)" },
    });
    const mixed = await api("/api/3/cohorts", {}, `Basic ${btoa(`${other.apiKey}:${project.secretKey}`)}`);
    expect(mixed.status).toBe(401);
    const ingestOnly = await api("/api/3/cohorts", {}, `Basic ${btoa(`${project.apiKey}:${project.apiKey}`)}`);
    expect(ingestOnly.status).toBe(401);
  });
});

describe("GET /api/3/cohorts", () => {
  it("lists cohorts with Amplitude's fields and live sizes", async () => {
    const res = await api("/api/3/cohorts");
    expect(res.status).toBe(200);
    const { cohorts } = await res.json<{ cohorts: Record<string, unknown>[] }>();
    expect(cohorts).toHaveLength(1);
    expect(cohorts[0]).toMatchObject({ id: vipId, name: "Buyers", size: 2, type: "redshift", archived: false, published: true, finished: true });
    expect(cohorts[0]!.definition).toEqual({ type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } });
    expect(typeof cohorts[0]!.lastMod).toBe("number");
  });
});

describe("async download", () => {
  it("request → 202, status → JOB INPROGRESS then JOB COMPLETED, file as quoted CSV or JSON with requested properties", async () => {
    const req = await api(`/api/5/cohorts/request/${vipId}?props=1&propKeys=email&propKeys=plan`);
    expect(req.status).toBe(202);
    const { request_id, cohort_id } = await req.json<{ request_id: string; cohort_id: string }>();
    expect(cohort_id).toBe(vipId);

    // The job's alarm is due at once: on a busy machine it may already have run.
    const running = await api(`/api/5/cohorts/request-status/${request_id}`);
    if (running.status === 202) {
      expect(await running.json()).toEqual({ request_id, cohort_id: vipId, async_status: "JOB INPROGRESS" });
      const early = await api(`/api/5/cohorts/request/${request_id}/file`);
      // 409 while the job runs; on a busy machine its alarm may finish between the two requests.
      if (early.status !== 409) {
        expect(early.status).toBe(200);
        expect((await api(`/api/5/cohorts/request-status/${request_id}`)).status).toBe(200);
      }
    } else {
      expect(running.status).toBe(200);
    }

    await runDurableObjectAlarm(env.PROJECT_JOBS.getByName(project.id));
    const done = await api(`/api/5/cohorts/request-status/${request_id}`);
    expect(done.status).toBe(200);
    expect(((await done.json()) as { async_status: string }).async_status).toBe("JOB COMPLETED");

    const csv = await api(`/api/5/cohorts/request/${request_id}/file`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe(
      [
        '"amplitude_id","user_id","email","plan"',
        '"u:api-user-1","api-user-1","a@x.example","pro"',
        '"u:api-user-2","api-user-2","b ""quoted""@x.example",""',
        "",
      ].join("\n"),
    );
    const json = await api(`/api/5/cohorts/request/${request_id}/file?format=json`);
    expect(await json.json()).toEqual([
      { amplitude_id: "u:api-user-1", user_id: "api-user-1", user_properties: { email: "a@x.example", plan: "pro" } },
      { amplitude_id: "u:api-user-2", user_id: "api-user-2", user_properties: { email: 'b "quoted"@x.example', plan: null } },
    ]);
  });

  it("a download that cannot read every member is retried whole, then reported failed naming them — never a file without them", async () => {
    type Status = { async_status: string; failed_attempts?: number; failures?: number; failed_profiles?: string[]; last_error?: string };
    const jobs = env.PROJECT_JOBS.getByName(project.id);
    /** Runs the project's job step now, skipping the waits between attempts. */
    const step = async () => {
      await runInDurableObject(jobs, async (_, state) => {
        const queue = (await state.storage.get<{ id: string; retryAt?: number }[]>("exports")) ?? [];
        await state.storage.put(
          "exports",
          queue.map((q) => ({ id: q.id })),
        );
        state.storage.sql.exec("UPDATE due_work SET due_at = 0"); // and the object's own wait for it
      });
      await runDurableObjectAlarm(jobs);
    };
    const status = async (id: string) => {
      const res = await api(`/api/5/cohorts/request-status/${id}`);
      return { code: res.status, body: await res.json<Status>() };
    };
    /** Steps until the download's status satisfies `done` (the alarm may also be running an attempt on its own). */
    const stepUntil = async (id: string, done: (s: Awaited<ReturnType<typeof status>>) => boolean) => {
      for (let i = 0; i < 40; i++, await new Promise((r) => setTimeout(r, 50))) {
        const s = await status(id);
        if (done(s)) return s;
        await step();
      }
      throw new Error(`download ${id} never got there: ${JSON.stringify(await status(id))}`);
    };
    // An index row no profile answers to: reading its properties fails every time.
    const broken = () =>
      env.DB.prepare("INSERT INTO cohort_members (project_id, cohort_id, profile_key, entered_at) VALUES (?, ?, 'x:broken', 1)").bind(project.id, vipId).run();
    const mend = () => env.DB.prepare("DELETE FROM cohort_members WHERE cohort_id = ? AND profile_key = 'x:broken'").bind(vipId).run();
    await broken();
    try {
      const { request_id } = await (await api(`/api/5/cohorts/request/${vipId}?props=1`)).json<{ request_id: string }>();
      const retrying = await stepUntil(request_id, (s) => (s.body.failed_attempts ?? 0) > 0);
      expect(retrying).toMatchObject({ code: 202, body: { async_status: "JOB INPROGRESS", failures: 1, failed_profiles: ["x:broken"] } });
      const failed = await stepUntil(request_id, (s) => s.code !== 202);
      expect(failed).toMatchObject({ code: 200, body: { async_status: "JOB FAILED", failed_attempts: 4, failures: 1, failed_profiles: ["x:broken"] } });
      expect(failed.body.last_error).toMatch(/^1 of 3 members could not be read/);
      const file = await api(`/api/5/cohorts/request/${request_id}/file`);
      expect(file.status).toBe(409);
      expect(await file.text()).toMatch(/failed/);

      // A failure that passes: the next attempt writes the whole file.
      const again = (await (await api(`/api/5/cohorts/request/${vipId}?props=1`)).json<{ request_id: string }>()).request_id;
      expect((await stepUntil(again, (s) => (s.body.failed_attempts ?? 0) > 0)).body).toMatchObject({ async_status: "JOB INPROGRESS", failures: 1 });
      await mend();
      const done = await stepUntil(again, (s) => s.code !== 202);
      expect(done).toMatchObject({
        code: 200,
        body: { request_id: again, cohort_id: vipId, async_status: "JOB COMPLETED", failures: 0, failed_profiles: [], last_error: null },
      });
      expect(done.body.failed_attempts).toBeGreaterThanOrEqual(1);
      const csv = await (await api(`/api/5/cohorts/request/${again}/file`)).text();
      expect(
        csv
          .trim()
          .split("\n")
          .slice(1)
          .map((l) => l.split(",")[0]),
      ).toEqual(['"u:api-user-1"', '"u:api-user-2"']);
    } finally {
      await mend();
    }
  });

  it("404 for an unknown cohort or request", async () => {
    expect((await api("/api/5/cohorts/request/coh_nope")).status).toBe(404);
    expect((await api("/api/5/cohorts/request-status/nope")).status).toBe(404);
  });
});

describe("upload and membership", () => {
  it("uploads a static cohort (unknown ids skipped), then adds and removes members", async () => {
    const res = await api("/api/3/cohorts/upload", {
      method: "POST",
      body: JSON.stringify({
        name: "Imported",
        app_id: 1,
        id_type: "BY_USER_ID",
        ids: ["api-user-1", "api-user-3", "ghost-user"],
        owner: "me@x.example",
        published: true,
      }),
    });
    expect(res.status).toBe(200);
    const body = await res.json<{ cohortId: string; metadata: unknown; cohortsById: Record<string, { type: string }> }>();
    expect(body.metadata).toEqual({ matched: 2, totals: 3, invalid_ids_sample: ["ghost-user"] });
    expect(body.cohortsById[body.cohortId]?.type).toBe("manual_upload");
    await settle(["api-user-1", "api-user-3"]);
    const sized = await (await api("/api/3/cohorts")).json<{ cohorts: { id: string; size: number }[] }>();
    expect(sized.cohorts.find((c) => c.id === body.cohortId)?.size).toBe(2);

    const strict = await api("/api/3/cohorts/membership", {
      method: "POST",
      body: JSON.stringify({
        cohort_id: body.cohortId,
        memberships: [{ ids: ["api-user-2", "ghost-user"], id_type: "BY_NAME", operation: "ADD" }],
        skip_invalid_ids: false,
      }),
    });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { error: { metadata: unknown } }).error.metadata).toEqual({
      cohort_id: body.cohortId,
      memberships_result: [{ skipped_ids: ["ghost-user"], id_type: "BY_NAME", operation: "ADD" }],
    });

    const change = await api("/api/3/cohorts/membership", {
      method: "POST",
      body: JSON.stringify({
        cohort_id: body.cohortId,
        memberships: [
          { ids: ["api-user-2", "ghost-user"], id_type: "BY_NAME", operation: "ADD" },
          { ids: ["u:api-user-1"], id_type: "BY_ID", operation: "REMOVE" },
        ],
      }),
    });
    expect(await change.json()).toEqual({
      cohort_id: body.cohortId,
      memberships_result: [
        { skipped_ids: ["ghost-user"], id_type: "BY_NAME", operation: "ADD" },
        { skipped_ids: [], id_type: "BY_ID", operation: "REMOVE" },
      ],
    });
    await settle(["api-user-1", "api-user-2", "api-user-3"]);
    const rows = await env.DB.prepare("SELECT profile_key FROM cohort_members WHERE cohort_id = ? ORDER BY profile_key").bind(body.cohortId).all();
    expect(rows.results.map((r) => r.profile_key)).toEqual(["u:api-user-2", "u:api-user-3"]);
  });

  it("bad bodies are 400s naming the field", async () => {
    const res = await api("/api/3/cohorts/upload", { method: "POST", body: JSON.stringify({ name: "x", id_type: "BY_EMAIL", ids: [] }) });
    expect(res.status).toBe(400);
    const { error } = await res.json<{ error: { http_code: number; metadata: { field: string }[] } }>();
    expect(error.http_code).toBe(400);
    expect(error.metadata.map((d) => d.field).sort()).toEqual(["id_type", "ids"]);
  });
});

describe("downloads and deletions in the admin API and the admin UI", () => {
  type Download = { id: string; cohort_id: string; status: string; rows: number | null; failed_attempts: number; failed_profiles: string[] };
  const downloads = async () => (await (await admin(`/projects/${project.id}/exports`)).json<{ exports: Download[] }>()).exports;

  it("the admin API asks for a download, lists it with the Cohort API's requests and serves its file; bad input names the field; another project's download is a 404", async () => {
    const bad = await admin(`/projects/${project.id}/exports`, { method: "POST", body: JSON.stringify({ props: "yes" }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/cohort_id/);
    expect((await admin(`/projects/${project.id}/exports`, { method: "POST", body: JSON.stringify({ cohort_id: "coh_nope" }) })).status).toBe(404);

    const req = await admin(`/projects/${project.id}/exports`, { method: "POST", body: JSON.stringify({ cohort_id: vipId }) });
    expect(req.status).toBe(202);
    const { id } = await req.json<{ id: string }>();
    for (let i = 0; i < 40 && (await downloads()).find((d) => d.id === id)?.status === "running"; i++)
      await runDurableObjectAlarm(env.PROJECT_JOBS.getByName(project.id));
    const listed = await downloads();
    expect(listed[0]).toMatchObject({ id, cohort_id: vipId, status: "completed", rows: 2, failed_attempts: 0 });
    expect(listed.some((d) => d.status === "failed" && d.failed_profiles.includes("x:broken"))).toBe(true); // the Cohort API's failed request above
    const file = await admin(`/projects/${project.id}/exports/${id}/file`);
    expect(file.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await file.text()).toBe(['"amplitude_id","user_id"', '"u:api-user-1","api-user-1"', '"u:api-user-2","api-user-2"', ""].join("\n"));
    expect((await admin(`/projects/${other.id}/exports/${id}/file`)).status).toBe(404);
    expect((await admin(`/projects/${project.id}/exports/${id}/file?format=xml`)).status).toBe(400);
  });

  it("the Downloads & deletions page asks for both and shows each job: a file link when done, the profiles a failed one could not read", async () => {
    await upload({ api_key: project.apiKey, events: [{ user_id: "erase-me", event_type: "Page Viewed" }] });
    await settle(["erase-me"]);
    const { cookie, csrf } = await uiSession();
    const post = (path: string, fields: Record<string, string>) =>
      call(`/admin/p/${project.id}/jobs${path}`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, ...fields }),
        redirect: "manual",
      });

    expect((await post("/downloads", { cohort_id: vipId })).status).toBe(303);
    const none = await post("/deletions", { id_type: "user_id", ids: " \n" });
    expect(none.status).toBe(200);
    expect(await none.text()).toContain("Give at least one id");
    const unknown = await post("/deletions", { id_type: "user_id", ids: "nobody-at-all" });
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toMatch(/nobody-at-all/);
    expect((await post("/deletions", { id_type: "user_id", ids: "erase-me\n", requester: "dpo@example.com" })).status).toBe(303);

    const html = await (await call(`/admin/p/${project.id}/jobs`, { headers: { cookie } })).text();
    expect(html).toContain("Downloads &amp; deletions");
    expect(html).toMatch(/Not read:.*x:broken/s);
    expect(html).toMatch(new RegExp(`/admin/api/projects/${project.id}/exports/[^"/]+/file`));
    expect(html).toContain("dpo@example.com");
    // The cohort's own page offers the download.
    expect(await (await call(`/admin/p/${project.id}/cohorts/${vipId}`, { headers: { cookie } })).text()).toContain('id="download-members"');
  });
});
