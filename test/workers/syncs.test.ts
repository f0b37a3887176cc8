import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/edge/index";
import { admin, createProject, upload } from "./helpers";

describe("cron-driven syncs", () => {
  it("each minute the scheduled handler starts the syncs whose cadence is due", async () => {
    const project = await createProject("cron");
    const post = async (kind: string, body: unknown) => {
      const res = await admin(`/${kind}?project=${project.id}`, { method: "POST", body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json<{ id: string }>()).id;
    };
    const cohort = await post("cohorts", { name: "All", definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } } });
    // Nothing listens here: the runs fail fast, which is enough to see that they ran.
    const destination = await post("destinations", { name: "Nowhere", definition: { type: "webhook", url: "http://127.0.0.1:9/hook" } });
    const sync = (name: string, schedule: string) =>
      post("syncs", { name, definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule } });
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
    await env.DB.prepare("INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?, ?, 'u:x', 1, ?)").bind(project.id, cohort, now).run();

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
    const post = async (kind: string, body: unknown) => (await (await admin(`/${kind}?project=${project.id}`, { method: "POST", body: JSON.stringify(body) })).json<{ id: string }>()).id;
    const cohort = await post("cohorts", { name: "Any", definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } } });
    const destination = await post("destinations", { name: "Files", definition: { type: "r2_export", format: "csv" } });
    const sync = await post("syncs", { name: "Any to files", definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohort }, schedule: "manual" } });
    await env.DB.prepare(
      "INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) VALUES (?1, ?2, 'u:ann', 1, 0), (?1, ?2, 'd:dev-9', 1, 1000), (?1, ?2, 'u:bob', 1, 2000), (?1, ?2, 'u:bob', 0, 3000)",
    )
      .bind(project.id, cohort)
      .run();
    const run = await (await admin(`/syncs/${sync}/run?project=${project.id}`, { method: "POST" })).json<{ status: string; sent: number }>();
    expect(run).toMatchObject({ status: "succeeded", sent: 2 });
    const { files } = await (await admin(`/syncs/${sync}/exports?project=${project.id}`)).json<{ files: { url: string }[] }>();
    expect(files).toHaveLength(1);
    const file = await admin(files[0]!.url.replace("/admin/api", ""));
    expect(await file.text()).toBe(
      ['"user_id","device_id","in_cohort","changed_at"', '"ann","","true","1970-01-01T00:00:00.000Z"', '"","dev-9","true","1970-01-01T00:00:01.000Z"', ""].join("\n"),
    );
  });
});

describe("property syncs", () => {
  it("send members' values when they change, nothing when they do not, and clear them when a member leaves", async () => {
    const project = await createProject("prop-sync");
    const post = async (kind: string, body: unknown) => {
      const res = await admin(`/${kind}?project=${project.id}`, { method: "POST", body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json<{ id: string }>()).id;
    };
    const orders = await post("computations", { name: "Orders", definition: { event: { type: "Order Completed" }, aggregate: "count" } });
    const pro = await post("cohorts", { name: "Pro", definition: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } } });
    const files = await post("destinations", { name: "Files", definition: { type: "r2_export", format: "ndjson" } });
    const lists = await post("destinations", { name: "A list", definition: { type: "hubspot", list_id: "1", credentials: { access_token: "t" } } });
    const what = { kind: "properties", cohort_id: pro, computations: [{ id: orders, as: "orders" }] };
    // List destinations hold memberships, not values.
    const refused = await admin(`/syncs?project=${project.id}`, { method: "POST", body: JSON.stringify({ name: "no", definition: { destination_id: lists, what } }) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("what.kind");
    const sync = await post("syncs", { name: "Pro values", definition: { destination_id: files, what, schedule: "manual" } });

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
      const res = await (await admin(`/syncs/${sync}/run?project=${project.id}`, { method: "POST" })).json<{ status: string; sent: number }>();
      expect(res.status).toBe("succeeded");
      return res.sent;
    };
    const latestFile = async () => {
      const { files: listed } = await (await admin(`/syncs/${sync}/exports?project=${project.id}`)).json<{ files: { key: string; url: string }[] }>();
      const last = listed.sort((a, b) => (a.key < b.key ? -1 : 1)).at(-1)!;
      return (await (await admin(last.url.replace("/admin/api", ""))).text()).trim().split("\n").map((l) => JSON.parse(l));
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

    await send([{ user_id: "ann-1", event_type: "Order Completed" }, { user_id: "bob-1", event_type: "Identify", user_properties: { $set: { plan: "free" } } }]);
    await members(1);
    expect(await run()).toBe(2);
    expect(await latestFile()).toEqual([
      { user_id: "ann-1", device_id: null, in_cohort: true, properties: { orders: 2 } },
      { user_id: "bob-1", device_id: null, in_cohort: false, properties: { orders: null } },
    ]);
    expect(await run()).toBe(0);
  });
});
