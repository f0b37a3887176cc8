import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { archivePrefix, dedupeArchived, parseNdjson } from "../../src/core/archive";
import { profileObjectName } from "../../src/core/event";
import { admin, createProject, device, profile, upload, user, type TestProject } from "./helpers";

let project: TestProject;
beforeAll(async () => {
  project = await createProject("profiles");
});

const send = async (events: unknown[], path = "/2/httpapi") => {
  const res = await upload({ api_key: project.apiKey, events }, path);
  expect(res.status, await res.clone().text()).toBe(200);
};

describe("insert_id dedupe", () => {
  it("re-sending the same insert_ids changes nothing", async () => {
    const events = [
      { user_id: "dedupe-user", event_type: "A", insert_id: "d-1", user_properties: { $add: { n: 1 } } },
      { user_id: "dedupe-user", event_type: "B", insert_id: "d-2" },
    ];
    await send(events);
    await send(events);
    await send([events[0], { ...events[0], event_type: "A-again" }]);
    const p = profile(project.id, user("dedupe-user"));
    expect((await p.getEvents()).map((e) => e.event_type)).toEqual(["A", "B"]);
    expect((await p.getProfile())?.user_properties).toEqual({ n: 1 });
  });

  it("events without insert_id are all kept", async () => {
    await send([{ user_id: "no-insert-id", event_type: "A" }]);
    await send([{ user_id: "no-insert-id", event_type: "A" }]);
    expect(await profile(project.id, user("no-insert-id")).getEvents()).toHaveLength(2);
  });
});

describe("$identify operations through ingestion", () => {
  it("applies every operation in Amplitude's order", async () => {
    const u = "identify-user";
    await send([
      { user_id: u, event_type: "$identify", user_properties: { $set: { plan: "free", tags: "a", gone: 1, score: 2 } } },
      {
        user_id: u,
        event_type: "$identify",
        user_properties: {
          $setOnce: { plan: "pro", first_source: "ad" },
          $add: { score: 3, visits: 1 },
          $append: { tags: ["b", "c"] },
          $prepend: { history: "x" },
          $unset: { gone: "-" },
          $postInsert: { langs: ["en", "fr"] },
        },
      },
      { user_id: u, event_type: "Order Completed", user_properties: { city: "Leeds" } },
      { user_id: u, event_type: "$identify", user_properties: { $remove: { tags: "b" }, $preInsert: { langs: ["de", "en"] } } },
    ]);
    expect((await profile(project.id, user(u)).getProfile())?.user_properties).toEqual({
      plan: "free",
      first_source: "ad",
      score: 5,
      visits: 1,
      tags: ["a", "c"],
      history: ["x"],
      langs: ["de", "en", "fr"],
      city: "Leeds",
    });
  });

  it("$clearAll removes every property", async () => {
    await send([
      { user_id: "clear-user", event_type: "$identify", user_properties: { $set: { a: 1 } } },
      { user_id: "clear-user", event_type: "$identify", user_properties: { $clearAll: "-" } },
    ]);
    expect((await profile(project.id, user("clear-user")).getProfile())?.user_properties).toEqual({});
  });
});

describe("identity: device → user merge", () => {
  it("moves a device's history to the user, routes later device-only events to it, and resolves reads by either id", async () => {
    const d = "device-merge-1";
    await send([
      { device_id: d, event_type: "Page Viewed", insert_id: "m-1", user_properties: { $set: { referrer: "ad", theme: "dark" } } },
      { device_id: d, event_type: "Product Viewed", insert_id: "m-2" },
    ]);
    await send([{ user_id: "merge-user", event_type: "Signed Up", insert_id: "m-3", user_properties: { theme: "light" } }]);
    // The event that carries both ids links them.
    await send([{ user_id: "merge-user", device_id: d, event_type: "Logged In", insert_id: "m-4" }]);
    // A later device-only event belongs to the user.
    await send([{ device_id: d, event_type: "Added to Cart", insert_id: "m-5" }]);

    const viaUser = await profile(project.id, user("merge-user")).getProfile();
    const viaDevice = await profile(project.id, device(d)).getProfile();
    expect(viaDevice).toEqual(viaUser);
    expect(viaUser).toMatchObject({
      user_id: "merge-user",
      device_id: d,
      device_ids: [d],
      event_count: 5,
      user_properties: { referrer: "ad", theme: "light" },
    });
    const events = await profile(project.id, user("merge-user")).getEvents();
    expect(events.map((e) => e.event_type).sort()).toEqual(["Added to Cart", "Logged In", "Page Viewed", "Product Viewed", "Signed Up"]);
    expect(events.every((e) => e.user_id === "merge-user")).toBe(true);

    // The admin lookup answers for either id.
    for (const q of [`user_id=merge-user`, `device_id=${d}`]) {
      const res = await admin(`/projects/${project.id}/users?${q}&events=10`);
      expect(res.status).toBe(200);
      const body = await res.json<{ profile: { user_id: string }; events: { event_type: string }[] }>();
      expect(body.profile.user_id).toBe("merge-user");
      expect(body.events[0]?.event_type).toBe("Added to Cart");
    }
  });

  it("a device later seen with another user follows that user; its history moved only once", async () => {
    const d = "device-shared-1";
    await send([{ device_id: d, event_type: "Anon", insert_id: "s-0" }]);
    await send([{ user_id: "first-owner", device_id: d, event_type: "Login", insert_id: "s-1" }]);
    await send([{ user_id: "second-owner", device_id: d, event_type: "Login", insert_id: "s-2" }]);
    await send([{ device_id: d, event_type: "After", insert_id: "s-3" }]);
    const first = await profile(project.id, user("first-owner")).getEvents();
    const second = await profile(project.id, user("second-owner")).getEvents();
    expect(first.map((e) => e.event_type).sort()).toEqual(["Anon", "Login"]);
    expect(second.map((e) => e.event_type).sort()).toEqual(["After", "Login"]);
    expect((await profile(project.id, device(d)).getProfile())?.user_id).toBe("second-owner");
  });

  it("an unknown profile reads as null and leaves no storage behind", async () => {
    expect(await profile(project.id, user("never-seen")).getProfile()).toBeNull();
    const res = await admin(`/projects/${project.id}/users?user_id=never-seen`);
    expect(res.status).toBe(404);
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("never-seen")));
    const tables = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT name FROM sqlite_master").toArray());
    expect(tables).toEqual([]);
  });
});

describe("alarm-driven work", () => {
  it("pruning holds no alarm of its own: a one-off visitor holds none once its first work is done, and old events go at the profile's next call", async () => {
    // workerd keeps every pending alarm in memory: a week-old dedupe window is no reason for one per visitor ever seen.
    await send([{ device_id: "one-off-visitor", event_type: "Page Viewed", insert_id: "oo-1" }]);
    const visitor = env.USER_PROFILE.getByName(profileObjectName(project.id, { kind: "device", id: "one-off-visitor" }));
    await runDurableObjectAlarm(visitor); // its archive and registry, due at once
    expect(await runInDurableObject(visitor, (_, state) => state.storage.getAlarm())).toBeNull();
    expect(
      await runInDurableObject(visitor, (_, state) =>
        state.storage.sql
          .exec("SELECT kind FROM due_work")
          .toArray()
          .map((r) => r.kind),
      ),
    ).toEqual(["prune"]);

    // An event that passes retention 1.5 s from now: pruned when the profile is next asked (here: the reconciliation's question).
    const retention = 90 * 86_400_000;
    await send([
      { user_id: "lazy-prune", event_type: "Old", insert_id: "lp-1", time: Date.now() - retention + 1_500 },
      { user_id: "lazy-prune", event_type: "New", insert_id: "lp-2" },
    ]);
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("lazy-prune")));
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    await new Promise((r) => setTimeout(r, 1_600));
    const p = profile(project.id, user("lazy-prune"));
    expect((await p.getEvents()).map((e) => e.event_type)).toEqual(["Old", "New"]); // nothing woke it
    await p.indexedCohorts();
    expect((await p.getEvents()).map((e) => e.event_type)).toEqual(["New"]);
  });

  it("archives events to R2 by project and hour, registers the user in D1, and the archive dedupes on read", async () => {
    const t = Date.UTC(2026, 10, 20, 14, 5);
    await send([
      { user_id: "archive-user", event_type: "A", insert_id: "a-1", time: t },
      { user_id: "archive-user", event_type: "B", insert_id: "a-2", time: t + 3_600_000 },
    ]);
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("archive-user")));
    // Runs whatever is due now (a new profile's archive and registry), then everything else as if it had fallen due.
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, async (instance, state) => {
      state.storage.sql.exec("UPDATE due_work SET due_at = 0");
      await instance.alarm();
    });

    const listed = await env.ARCHIVE.list({ prefix: archivePrefix(project.id) });
    const keys = listed.objects.map((o) => o.key).filter((k) => k.includes("hour=2026-11-20T1"));
    expect(keys.map((k) => k.split("/")[2])).toEqual(["hour=2026-11-20T14", "hour=2026-11-20T15"]);
    const archived = [];
    for (const key of keys) archived.push(...parseNdjson(await (await env.ARCHIVE.get(key))!.text()));
    expect(dedupeArchived([...archived, ...archived]).map((e) => e.insert_id)).toEqual(["a-1", "a-2"]);

    const row = await env.DB.prepare("SELECT user_id, event_count, first_seen, last_seen FROM users WHERE project_id = ? AND profile_key = ?")
      .bind(project.id, "u:archive-user")
      .first();
    expect(row).toEqual({ user_id: "archive-user", event_count: 2, first_seen: t, last_seen: t + 3_600_000 });
  });

  it("archives a new profile's first write at once, and batches the writes that follow", async () => {
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("flush-user")));
    const archiveDue = () =>
      runInDurableObject(
        stub,
        (_, s) => s.storage.sql.exec<{ due_at: number }>("SELECT due_at FROM due_work WHERE kind = 'archive'").toArray()[0]?.due_at ?? null,
      );
    await send([{ user_id: "flush-user", event_type: "First" }]);
    // Due at once (the alarm may already have run it): the object can be freed without waking for the flush.
    const first = await archiveDue();
    if (first !== null) expect(first).toBeLessThanOrEqual(Date.now());
    await runDurableObjectAlarm(stub);
    const sentAt = Date.now();
    await send([{ user_id: "flush-user", event_type: "Second" }]);
    expect(await archiveDue()).toBeGreaterThanOrEqual(sentAt + Number(env.ARCHIVE_FLUSH_SECONDS) * 1000);
  });

  it("prunes events past retention only after they are archived, and forgets old insert_ids", async () => {
    const old = Date.now() - 100 * 86_400_000;
    const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user("prune-user")));
    // A new profile's first write is archived at once; the batch below waits for its flush delay.
    await send([{ user_id: "prune-user", event_type: "Warm Up", insert_id: "p-0" }]);
    await runDurableObjectAlarm(stub);
    await send([
      { user_id: "prune-user", event_type: "Old", insert_id: "p-1", time: old },
      { user_id: "prune-user", event_type: "New", insert_id: "p-2" },
    ]);
    const due = () => runInDurableObject(stub, (_, s) => s.storage.sql.exec("UPDATE due_work SET due_at = 0"));
    // Prune before archiving: nothing may go.
    await runInDurableObject(stub, (_, s) => s.storage.sql.exec("UPDATE due_work SET due_at = 0 WHERE kind = 'prune'"));
    await runDurableObjectAlarm(stub);
    expect(await profile(project.id, user("prune-user")).getEvents()).toHaveLength(3);
    await due();
    await runDurableObjectAlarm(stub); // archives
    await due();
    await runDurableObjectAlarm(stub); // prunes
    expect((await profile(project.id, user("prune-user")).getEvents()).map((e) => e.event_type)).toEqual(["Warm Up", "New"]);
    // The insert_ids are kept for 7 days after receipt, whatever the event time.
    await send([{ user_id: "prune-user", event_type: "Old", insert_id: "p-1", time: old }]);
    expect(await profile(project.id, user("prune-user")).getEvents()).toHaveLength(2);
  });
});
