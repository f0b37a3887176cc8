import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/edge/index";
import { admin, ADMIN_TOKEN, call, create, createProject, fakeDestinations, uiSession, upload } from "./helpers";

describe("cron-driven syncs", () => {
  it("each minute the scheduled handler starts the syncs whose cadence is due", async () => {
    const project = await createProject("cron");
    const cohort = await create(project.id, "cohorts", { name: "All", definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } } });
    // Nothing listens here: the runs fail fast, which is enough to see that they ran.
    const destination = await create(project.id, "destinations", { name: "Nowhere", definition: { type: "webhook", url: "http://127.0.0.1:9/hook" } });
    const sync = (name: string, schedule: string) =>
      create(project.id, "syncs", { name, definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule } });
    const minute = await sync("every minute", "minute");
    const hourly = await sync("hourly", "hourly");
    const daily = await sync("daily", "daily");
    const manual = await sync("manual", "manual");
    const now = Date.now();
    // The hourly sync ran ten minutes ago; the daily one 25 hours ago.
    await env.DB.prepare("INSERT INTO sync_runs (id, sync_id, started_at, status) VALUES ('r1', ?, ?, 'succeeded'), ('r2', ?, ?, 'succeeded')")
      .bind(hourly, now - 600_000, daily, now - 25 * 3_600_000)
      .run();
    // Some changes to deliver, so a started run tries the destination.
    await env.DB.prepare("INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?, ?, 'u:x', 1, ?)")
      .bind(project.id, cohort, now)
      .run();

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const runs = await env.DB.prepare("SELECT sync_id, status FROM sync_runs WHERE id NOT IN ('r1', 'r2')").all<{ sync_id: string; status: string }>();
    expect(runs.results.map((r) => r.sync_id).sort()).toEqual([minute, daily].sort());
    expect(runs.results.every((r) => r.status === "failed")).toBe(true);
    expect(runs.results.map((r) => r.sync_id)).not.toContain(manual);
  });
});

describe("R2 export destination", () => {
  it("each run writes its net changes as a file, listed with a download link", async () => {
    const project = await createProject("exports");
    const cohort = await create(project.id, "cohorts", { name: "Any", definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } } });
    const destination = await create(project.id, "destinations", { name: "Files", definition: { type: "r2_export", format: "csv" } });
    const sync = await create(project.id, "syncs", {
      name: "Any to files",
      definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "manual" },
    });
    await env.DB.prepare(
      "INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?1, ?2, 'u:ann', 1, 0), (?1, ?2, 'd:dev-9', 1, 1000), (?1, ?2, 'u:bob', 1, 2000), (?1, ?2, 'u:bob', 0, 3000)",
    )
      .bind(project.id, cohort)
      .run();
    const run = await (await admin(`/projects/${project.id}/syncs/${sync}/run`, { method: "POST" })).json<{ status: string; sent: number }>();
    expect(run).toMatchObject({ status: "succeeded", sent: 2 });
    const { files } = await (await admin(`/projects/${project.id}/syncs/${sync}/exports`)).json<{ files: { url: string }[] }>();
    expect(files).toHaveLength(1);
    const file = await admin(files[0]!.url.replace("/admin/api", ""));
    expect(await file.text()).toBe(
      ['"user_id","device_id","in_cohort","changed_at"', '"ann","","true","1970-01-01T00:00:00.000Z"', '"","dev-9","true","1970-01-01T00:00:01.000Z"', ""].join(
        "\n",
      ),
    );
  });
});

describe("property syncs", () => {
  it("send members' values when they change, nothing when they do not, and clear them when a member leaves", async () => {
    const project = await createProject("prop-sync");
    const orders = await create(project.id, "computations", { name: "Orders", definition: { event: { type: "Order Completed" }, aggregate: "count" } });
    const pro = await create(project.id, "cohorts", {
      name: "Pro",
      definition: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } },
    });
    const files = await create(project.id, "destinations", { name: "Files", definition: { type: "r2_export", format: "ndjson" } });
    const lists = await create(project.id, "destinations", {
      name: "A list",
      definition: { type: "hubspot", list_id: "1", credentials: { access_token: "t" } },
    });
    const what = { kind: "properties", cohort_id: pro, computations: [{ id: orders, as: "orders" }] };
    // List destinations hold memberships, not values.
    const refused = await admin(`/projects/${project.id}/syncs`, {
      method: "POST",
      body: JSON.stringify({ name: "no", definition: { destination_id: lists, what } }),
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("what.kind");
    const sync = await create(project.id, "syncs", { name: "Pro values", definition: { destination_id: files, what, schedule: "manual" } });

    let t = Date.now() - 10_000;
    const send = async (events: object[]) => {
      const res = await upload({ api_key: project.apiKey, events: events.map((e) => ({ time: t++, ...e })) });
      expect(res.status, await res.text()).toBe(200);
    };
    const members = async (n: number) => {
      for (let i = 0; i < 100; i++) {
        const row = await env.DB.prepare("SELECT count(*) AS n FROM cohort_members WHERE cohort_id = ?").bind(pro).first<{ n: number }>();
        if (row?.n === n) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`cohort never had ${n} members`);
    };
    const run = async () => {
      const res = await (await admin(`/projects/${project.id}/syncs/${sync}/run`, { method: "POST" })).json<{ status: string; sent: number }>();
      expect(res.status).toBe("succeeded");
      return res.sent;
    };
    const latestFile = async () => {
      const { files: listed } = await (await admin(`/projects/${project.id}/syncs/${sync}/exports`)).json<{ files: { key: string; url: string }[] }>();
      const last = listed.sort((a, b) => (a.key < b.key ? -1 : 1)).at(-1)!;
      return (await (await admin(last.url.replace("/admin/api", ""))).text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    };

    await send([
      { user_id: "ann-1", event_type: "Order Completed", user_properties: { $set: { plan: "pro" } } },
      { user_id: "bob-1", event_type: "Order Completed", user_properties: { $set: { plan: "pro" } } },
      { user_id: "bob-1", event_type: "Order Completed" },
      { user_id: "cat-1", event_type: "Order Completed", user_properties: { $set: { plan: "free" } } },
    ]);
    await members(2);
    expect(await run()).toBe(2);
    expect(await latestFile()).toEqual([
      { user_id: "ann-1", device_id: null, in_cohort: true, properties: { orders: 1 } },
      { user_id: "bob-1", device_id: null, in_cohort: true, properties: { orders: 2 } },
    ]);
    expect(await run()).toBe(0);

    await send([
      { user_id: "ann-1", event_type: "Order Completed" },
      { user_id: "bob-1", event_type: "Identify", user_properties: { $set: { plan: "free" } } },
    ]);
    await members(1);
    expect(await run()).toBe(2);
    expect(await latestFile()).toEqual([
      { user_id: "ann-1", device_id: null, in_cohort: true, properties: { orders: 2 } },
      { user_id: "bob-1", device_id: null, in_cohort: false, properties: { orders: null } },
    ]);
    expect(await run()).toBe(0);
  });
});

async function setUp(projectId: string) {
  const project = await createProject(projectId);
  const post = (kind: string, body: unknown) => create(project.id, kind, body);
  const cohort = await post("cohorts", { name: "All", definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } } });
  const enter = (...users: string[]) =>
    env.DB.batch(
      users.map((u) =>
        env.DB.prepare("INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?, ?, ?, 1, ?)").bind(
          project.id,
          cohort,
          `u:${u}`,
          Date.now(),
        ),
      ),
    );
  return { project, post, cohort, enter };
}

async function tick(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("credentials at rest", () => {
  it("are stored encrypted (no plaintext in the D1 row) and still authenticate the sync's requests", async () => {
    const { project, post, cohort, enter } = await setUp("creds");
    const destination = await post("destinations", {
      name: "Braze",
      definition: { type: "braze", base_url: "http://dest.test/braze", credentials: { api_key: "braze-key-at-rest-42" } },
    });
    const raw = await env.DB.prepare("SELECT definition FROM destinations WHERE id = ?").bind(destination).first<{ definition: string }>();
    expect(raw!.definition).not.toContain("braze-key-at-rest-42");
    expect(JSON.parse(raw!.definition).credentials.api_key).toMatch(/^enc:v1:[A-Za-z0-9+/]+=*$/);
    // Renaming keeps the sealed credentials as they are.
    expect((await admin(`/projects/${project.id}/destinations/${destination}`, { method: "PUT", body: JSON.stringify({ name: "Braze (prod)" }) })).status).toBe(
      200,
    );
    const renamed = await env.DB.prepare("SELECT definition FROM destinations WHERE id = ?").bind(destination).first<{ definition: string }>();
    expect(renamed!.definition).toBe(raw!.definition);
    // Saving back what the API shows (credentials as "(set)") keeps them too.
    const shown = await (await admin(`/projects/${project.id}/destinations/${destination}`)).json<{ definition: Record<string, unknown> }>();
    expect(shown.definition.credentials).toEqual({ api_key: "(set)" });
    const resaved = await admin(`/projects/${project.id}/destinations/${destination}`, {
      method: "PUT",
      body: JSON.stringify({ definition: { ...shown.definition, attribute: "vip" } }),
    });
    expect(resaved.status, await resaved.clone().text()).toBe(200);
    const after = await env.DB.prepare("SELECT definition FROM destinations WHERE id = ?").bind(destination).first<{ definition: string }>();
    expect(JSON.parse(after!.definition)).toMatchObject({ attribute: "vip", credentials: JSON.parse(raw!.definition).credentials });

    const sync = await post("syncs", {
      name: "All to Braze",
      definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "manual" },
    });
    await enter("ann");
    const fake = fakeDestinations();
    try {
      const run = await (await admin(`/projects/${project.id}/syncs/${sync}/run`, { method: "POST" })).json<{ status: string; sent: number }>();
      expect(run).toMatchObject({ status: "succeeded", sent: 1 });
      expect(fake.calls.map((c) => [c.method, c.path, c.headers.authorization])).toEqual([["POST", "/braze/users/track", "Bearer braze-key-at-rest-42"]]);
    } finally {
      fake.restore();
    }
  });

  it("rows written before encryption (plain) still work, and are sealed on their next write", async () => {
    const { project, post, cohort, enter } = await setUp("creds-legacy");
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO destinations (id, project_id, name, description, definition, version, status, created_at, updated_at) VALUES ('dst_legacy', ?, 'Old list', '', ?, 1, 'active', ?, ?)",
    )
      .bind(
        project.id,
        JSON.stringify({
          type: "hubspot",
          base_url: "http://dest.test/hs",
          list_id: "7",
          id_property: "user_id",
          credentials: { access_token: "plain-old-token" },
        }),
        now,
        now,
      )
      .run();
    const sync = await post("syncs", {
      name: "All to HubSpot",
      definition: { destination_id: "dst_legacy", what: { kind: "cohort", cohort_id: cohort }, schedule: "manual" },
    });
    await enter("bob");
    const fake = fakeDestinations();
    try {
      expect(await (await admin(`/projects/${project.id}/syncs/${sync}/run`, { method: "POST" })).json()).toMatchObject({ status: "succeeded", sent: 1 });
      expect(fake.calls.map((c) => [c.method, c.path, c.headers.authorization, c.body])).toEqual([
        ["PUT", "/hs/crm/v3/lists/7/memberships/add", "Bearer plain-old-token", '["bob"]'],
      ]);
    } finally {
      fake.restore();
    }
    expect(
      (await admin(`/projects/${project.id}/destinations/dst_legacy`, { method: "PUT", body: JSON.stringify({ name: "Old list (sealed)" }) })).status,
    ).toBe(200);
    const raw = await env.DB.prepare("SELECT definition FROM destinations WHERE id = 'dst_legacy'").first<{ definition: string }>();
    expect(raw!.definition).not.toContain("plain-old-token");
    expect(raw!.definition).toContain("enc:v1:");
  });

  it("without CREDENTIALS_KEY a destination with credentials is refused at write time, never stored in plain", async () => {
    const project = await createProject("creds-nokey");
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(`http://tailor.test/admin/api/projects/${project.id}/destinations`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "Hook", definition: { type: "webhook", url: "http://dest.test/hook" } }),
      }),
      { ...env, CREDENTIALS_KEY: "" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { code: "internal", message: expect.stringMatching(/^Destination credentials cannot be stored: CREDENTIALS_KEY is not set/) },
    });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM destinations WHERE project_id = ?").bind(project.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });
});

describe("syncs on the cron tick", () => {
  it("a failing destination never blocks another: the healthy sync delivers and succeeds, the failing one is marked failing after 3 runs", async () => {
    const { project, post, cohort, enter } = await setUp("cron-isolation");
    const bad = await post("destinations", { name: "Broken", definition: { type: "webhook", url: "http://dest.test/broken" } });
    const good = await post("destinations", { name: "Healthy", definition: { type: "webhook", url: "http://dest.test/healthy" } });
    const syncOf = (name: string, destination: string) =>
      post("syncs", { name, definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "minute" } });
    const broken = await syncOf("to broken", bad);
    const healthy = await syncOf("to healthy", good);
    await enter("ann", "bob");
    const fake = fakeDestinations((path) => (path === "/broken" ? 500 : 200));
    try {
      for (let i = 0; i < 3; i++) await tick(Date.now() + i * 61_000);
    } finally {
      fake.restore();
    }
    const runs = async (sync: string) =>
      (
        await env.DB.prepare("SELECT status, sent, last_error FROM sync_runs WHERE sync_id = ? ORDER BY started_at, rowid")
          .bind(sync)
          .all<{ status: string; sent: number; last_error: string | null }>()
      ).results;
    expect(await runs(healthy)).toEqual([
      { status: "succeeded", sent: 2, last_error: null },
      { status: "succeeded", sent: 0, last_error: null },
      { status: "succeeded", sent: 0, last_error: null },
    ]);
    const failed = await runs(broken);
    expect(failed.map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
    expect(failed.every((r) => r.last_error?.startsWith("HTTP 500"))).toBe(true);
    const healthyCalls = fake.calls.filter((c) => c.path === "/healthy");
    expect(healthyCalls).toHaveLength(1);
    expect(
      JSON.parse(healthyCalls[0]!.body)
        .users.map((u: { user_id: string }) => u.user_id)
        .sort(),
    ).toEqual(["ann", "bob"]);
    // Each failed run tried the broken destination 4 times (retries), every time with the same message.
    const brokenCalls = fake.calls.filter((c) => c.path === "/broken");
    expect(brokenCalls).toHaveLength(12);
    expect(new Set(brokenCalls.map((c) => c.headers["webhook-id"])).size).toBe(1);

    // The sync list shows which is failing, as the run log does.
    const list = await (await admin(`/projects/${project.id}/syncs`)).json<{ syncs: { id: string; failing: boolean }[] }>();
    expect(Object.fromEntries(list.syncs.map((s) => [s.id, s.failing]))).toEqual({ [broken]: true, [healthy]: false });
    expect(await (await admin(`/projects/${project.id}/syncs/${broken}/runs`)).json()).toMatchObject({ failing: true });
    // And so does the admin UI's syncs list, one badge per row.
    const { cookie } = await uiSession();
    const page = await (await call(`/admin/p/${project.id}/syncs`, { headers: { cookie } })).text();
    const row = (id: string) => page.split("<tr>").find((r) => r.includes(`<code>${id}</code>`)) ?? "";
    expect(row(broken)).toContain('<span class="badge bad">failing</span>');
    expect(row(healthy)).toContain('<span class="badge good">healthy</span>');
    expect(row(healthy)).not.toContain("failing");
  });

  it("a due hourly sync runs and delivers", async () => {
    const { post, cohort, enter } = await setUp("cron-hourly");
    const destination = await post("destinations", { name: "Hook", definition: { type: "webhook", url: "http://dest.test/hourly" } });
    const hourly = await post("syncs", {
      name: "hourly",
      definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "hourly" },
    });
    const now = Date.now();
    await env.DB.prepare("INSERT INTO sync_runs (id, sync_id, started_at, finished_at, status) VALUES ('r-hourly', ?, ?, ?, 'succeeded')")
      .bind(hourly, now - 61 * 60_000, now - 61 * 60_000)
      .run();
    await enter("cat");
    const fake = fakeDestinations();
    try {
      await tick(now);
      await tick(now + 60_000); // not due again for an hour
    } finally {
      fake.restore();
    }
    const runs = (await env.DB.prepare("SELECT status, sent FROM sync_runs WHERE sync_id = ? AND id != 'r-hourly'").bind(hourly).all()).results;
    expect(runs).toEqual([{ status: "succeeded", sent: 1 }]);
    // (The tick also runs other tests' syncs that are due: only this destination's calls count.)
    const calls = fake.calls.filter((c) => c.path === "/hourly");
    expect(calls.map((c) => [c.method, c.path, JSON.parse(c.body).users])).toEqual([["POST", "/hourly", [{ user_id: "cat", device_id: null }]]]);
  });

  it("a daily sync whose run failed retries within minutes, not the next day; a run that died is closed as interrupted", async () => {
    const { project, post, cohort, enter } = await setUp("cron-retry");
    const destination = await post("destinations", { name: "Flaky", definition: { type: "webhook", url: "http://dest.test/flaky" } });
    const daily = await post("syncs", {
      name: "daily",
      definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "daily" },
    });
    const now = Date.now();
    // Yesterday's run died with its isolate: its row still says running.
    await env.DB.prepare("INSERT INTO sync_runs (id, sync_id, started_at, status) VALUES ('r-dead', ?, ?, 'running')")
      .bind(daily, now - 25 * 3_600_000)
      .run();
    await enter("dan");
    let down = true;
    const fake = fakeDestinations((path) => (path === "/flaky" && down ? 503 : 200));
    const runs = async () =>
      (
        await env.DB.prepare("SELECT id, status, sent, last_error FROM sync_runs WHERE sync_id = ? ORDER BY started_at, rowid")
          .bind(daily)
          .all<{ id: string; status: string; sent: number; last_error: string | null }>()
      ).results;
    try {
      await tick(now); // due (a day since the last run): the destination is down
      expect((await runs()).map((r) => r.status)).toEqual(["failed", "failed"]);
      expect((await runs())[0]).toMatchObject({ id: "r-dead", last_error: expect.stringMatching(/^interrupted/) });
      const list = await (await admin(`/projects/${project.id}/syncs`)).json<{ syncs: { id: string; next_run_at: number }[] }>();
      const next = list.syncs.find((s) => s.id === daily)!.next_run_at;
      // Two failures in a row (the interrupted run, then this one): due again 4 minutes later, not in a day.
      expect(next - now).toBeGreaterThan(3 * 60_000);
      expect(next - now).toBeLessThanOrEqual(5 * 60_000);
      down = false;
      await tick(next);
    } finally {
      fake.restore();
    }
    expect((await runs()).map((r) => [r.status, r.sent])).toEqual([
      ["failed", 0],
      ["failed", 0],
      ["succeeded", 1],
    ]);
  });
});
