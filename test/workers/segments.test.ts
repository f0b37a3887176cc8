import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { profileObjectName } from "../../src/core/event";
import { admin, call, createProject, device, profile, uiSession, upload, user, type TestProject } from "./helpers";

let project: TestProject;
beforeAll(async () => {
  project = await createProject("seg");
});

const send = async (events: unknown[]) => {
  const res = await upload({ api_key: project.apiKey, events });
  expect(res.status, await res.clone().text()).toBe(200);
};

async function define(kind: "cohorts" | "computations", name: string, definition: unknown): Promise<string> {
  const res = await admin(`/projects/${project.id}/${kind}`, { method: "POST", body: JSON.stringify({ name, definition }) });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ id: string }>()).id;
}

const stubOf = (ref: ReturnType<typeof user>) => env.USER_PROFILE.getByName(profileObjectName(project.id, ref));

/** Runs the profile's due work now (membership delivery to D1, window expiries). */
async function runDue(ref: ReturnType<typeof user>) {
  const stub = stubOf(ref);
  await runInDurableObject(stub, (_, s) => s.storage.sql.exec("UPDATE due_work SET due_at = 0 WHERE kind IN ('memberships', 'segments')"));
  await runDurableObjectAlarm(stub);
}

/**
 * The index as a profile's alarm leaves it. An alarm may already have fired on its own
 * (and be mid-write) when the test runs it, so the expected state is awaited, briefly.
 */
async function expectMembers(cohortId: string, expected: string[]): Promise<void> {
  for (let i = 0; i < 40 && JSON.stringify(await members(cohortId)) !== JSON.stringify(expected); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await members(cohortId)).toEqual(expected);
}

async function members(cohortId: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT profile_key FROM cohort_members WHERE cohort_id = ? ORDER BY profile_key")
    .bind(cohortId)
    .all<{ profile_key: string }>();
  return rows.results.map((r) => r.profile_key);
}

async function changes(cohortId: string) {
  const rows = await env.DB.prepare("SELECT profile_key, in_cohort FROM membership_changes WHERE cohort_id = ? ORDER BY seq").bind(cohortId).all();
  return rows.results;
}

describe("cohorts and computed properties in the profile", () => {
  it("updates on each event, writes membership changes to D1, and reports sizes", async () => {
    const spend = await define("computations", "Lifetime spend", { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" });
    const vip = await define("cohorts", "VIP", { type: "behavioral", match: { computation: { id: spend, op: "gte", value: 100 } } });
    await send([{ user_id: "seg-user-1", event_type: "Order Completed", event_properties: { revenue: 60 } }]);
    expect(await profile(project.id, user("seg-user-1")).getSegments()).toEqual({ cohort_ids: [], computations: { [spend]: 60 } });
    await send([{ user_id: "seg-user-1", event_type: "Order Completed", event_properties: { revenue: 50 } }]);
    expect(await profile(project.id, user("seg-user-1")).getSegments()).toEqual({ cohort_ids: [vip], computations: { [spend]: 110 } });

    await runDue(user("seg-user-1"));
    await expectMembers(vip, ["u:seg-user-1"]);
    expect(await changes(vip)).toEqual([{ profile_key: "u:seg-user-1", in_cohort: 1 }]);
    const list = await (await admin(`/projects/${project.id}/cohorts`)).json<{ cohorts: { id: string; size: number }[] }>();
    expect(list.cohorts.find((c) => c.id === vip)?.size).toBe(1);
  });

  it("the abandoned-cart cohort flips by the alarm alone when its window passes", async () => {
    const abandoned = await define("cohorts", "Abandoned cart", {
      type: "behavioral",
      match: {
        all: [
          { performed: { event: { type: "Product Added" }, window: { kind: "rolling", duration: { minutes: 1 } } } },
          { not: { performed: { event: { type: "Order Completed" }, window: { kind: "since_last", event: { type: "Product Added" } } } } },
        ],
      },
    });
    // Added to cart 57.5 s ago: the one-minute window closes in 2.5 s (slack for a busy machine).
    const addedAt = Date.now() - 57_500;
    await send([{ user_id: "seg-cart-1", event_type: "Product Added", time: addedAt }]);
    const p = profile(project.id, user("seg-cart-1"));
    expect((await p.getSegments())?.cohort_ids).toContain(abandoned);
    await runDue(user("seg-cart-1"));
    await expectMembers(abandoned, ["u:seg-cart-1"]);

    await new Promise((r) => setTimeout(r, Math.max(0, addedAt + 60_000 - Date.now() + 100)));
    // No event: only the profile's own alarm runs (now, if it has not fired by itself already).
    await runDurableObjectAlarm(stubOf(user("seg-cart-1")));
    await runDue(user("seg-cart-1"));
    await expectMembers(abandoned, []);
    expect((await changes(abandoned)).map((c) => c.in_cohort)).toEqual([1, 0]);
  });

  it("a device merged into a user leaves its cohorts; the user gains them", async () => {
    const browsers = await define("cohorts", "Browsed", { type: "behavioral", match: { performed: { event: { type: "Page Viewed" } } } });
    await send([{ device_id: "seg-device-1", event_type: "Page Viewed" }]);
    await runDue(device("seg-device-1"));
    await expectMembers(browsers, ["d:seg-device-1"]);
    await send([{ user_id: "seg-merged-1", device_id: "seg-device-1", event_type: "Signed In" }]);
    await runDue(device("seg-device-1"));
    await runDue(user("seg-merged-1"));
    await expectMembers(browsers, ["u:seg-merged-1"]);
  });
});

describe("definitions API", () => {
  it("400s name the field: schema errors, unknown references, cycles", async () => {
    const bad = await admin(`/projects/${project.id}/computations`, {
      method: "POST",
      body: JSON.stringify({ name: "No property", definition: { event: { type: "A" }, aggregate: "sum" } }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { details: { field: string }[] } }>()).error.details[0]?.field).toBe("definition.property");

    // A key the language does not have (here a count inside a clause) is refused, not dropped.
    const typo = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({
        name: "Twice",
        definition: { type: "behavioral", match: { all: [{ performed: { event: { type: "A" }, count: { gte: 2 } } }] } },
      }),
    });
    expect(typo.status).toBe(400);
    expect((await typo.json<{ error: { details: { field: string }[] } }>()).error.details).toEqual([
      { field: "definition.match.all.0.performed.count", message: "unknown key: not part of this request's schema" },
    ]);
    expect((await (await admin(`/projects/${project.id}/cohorts`)).json<{ cohorts: { name: string }[] }>()).cohorts.map((c) => c.name)).not.toContain("Twice");

    const unknown = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Dangling", definition: { type: "behavioral", match: { cohort: { id: "coh_missing" } } } }),
    });
    expect(unknown.status).toBe(400);
    expect((await unknown.json<{ error: { message: string } }>()).error.message).toMatch(/unknown cohort coh_missing/);

    const a = await define("cohorts", "Cycle A", { type: "behavioral", match: { performed: { event: { type: "A" } } } });
    const b = await define("cohorts", "Cycle B", { type: "behavioral", match: { cohort: { id: a } } });
    const cyc = await admin(`/projects/${project.id}/cohorts/${a}`, {
      method: "PUT",
      body: JSON.stringify({ definition: { type: "behavioral", match: { cohort: { id: b } } } }),
    });
    expect(cyc.status).toBe(400);
    expect((await cyc.json<{ error: { message: string } }>()).error.message).toMatch(/cycle/);

    const del = await admin(`/projects/${project.id}/cohorts/${a}`, { method: "DELETE" });
    expect(del.status).toBe(400); // b still refers to a
  });

  it("edits bump the version; a profile picks up the new definition on its next read", async () => {
    const id = await define("cohorts", "Editable", { type: "behavioral", match: { performed: { event: { type: "X" }, op: ">=", value: 2 } } });
    await send([{ user_id: "seg-edit-1", event_type: "X" }]);
    expect((await profile(project.id, user("seg-edit-1")).getSegments())?.cohort_ids).not.toContain(id);
    const res = await admin(`/projects/${project.id}/cohorts/${id}`, {
      method: "PUT",
      body: JSON.stringify({ definition: { type: "behavioral", match: { performed: { event: { type: "X" }, op: ">=", value: 1 } } } }),
    });
    expect(res.status).toBe(200);
    expect((await res.json<{ version: number }>()).version).toBe(2);
    expect((await profile(project.id, user("seg-edit-1")).getSegments())?.cohort_ids).toContain(id);
  });
});

describe("backfill after a definition change", () => {
  it("recomputes every existing profile from its stored events, in resumable pages, with progress", async () => {
    const ids = ["bf-user-1", "bf-user-2", "bf-user-3", "bf-user-4", "bf-user-5"];
    await send(ids.map((id, i) => ({ user_id: id, event_type: "Viewed", event_properties: { n: i } })));
    await send([{ user_id: "bf-user-5", event_type: "Viewed" }]);
    // The registry is written by each profile's alarm.
    for (const id of ids) await runDurableObjectAlarm(stubOf(user(id)));

    const res = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({
        name: "Viewed twice",
        definition: { type: "behavioral", match: { performed: { event: { type: "Viewed" }, op: ">=", value: 2 } } },
      }),
    });
    const created = await res.json<{ id: string; backfill: { id: string; total: number } }>();
    expect(created.backfill.total).toBeGreaterThanOrEqual(5);

    const jobs = env.PROJECT_JOBS.getByName(project.id);
    let job: { status: string; processed: number; total: number } | undefined;
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) {
      await runDurableObjectAlarm(jobs);
      const list = await (await admin(`/projects/${project.id}/backfills`)).json<{
        backfills: { id: string; status: string; processed: number; total: number }[];
      }>();
      job = list.backfills.find((b) => b.id === created.backfill.id);
      seen.push(job!.processed);
      if (job?.status === "succeeded") break;
    }
    expect(job, JSON.stringify(job)).toMatchObject({ status: "succeeded", processed: created.backfill.total });
    // Pages of two (BACKFILL_PAGE), each step continuing from the cursor saved by the last.
    // Progress was visible part-way (pages of BACKFILL_PAGE=2, each continuing from the
    // saved cursor), and every profile was counted exactly once.
    expect(new Set(seen.filter((n) => n > 0 && n < created.backfill.total)).size).toBeGreaterThanOrEqual(2);

    for (const id of ids) await runDue(user(id));
    await expectMembers(created.id, ["u:bf-user-5"]);
  });
});

describe("a backfill that cannot recompute every profile", () => {
  type Backfill = {
    id: string;
    status: string;
    processed: number;
    failures: number;
    failed_profiles: string[];
    retry_rounds: number;
    last_error: string | null;
  };
  const backfill = async (p: string, id: string) =>
    (await (await admin(`/projects/${p}/backfills`)).json<{ backfills: Backfill[] }>()).backfills.find((b) => b.id === id)!;
  /** Runs the project's job steps, skipping retry waits, until the backfill leaves `running` (a step may also be running on its own). */
  async function runUntilSettled(p: string, id: string): Promise<Backfill> {
    const jobs = env.PROJECT_JOBS.getByName(p);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      await runInDurableObject(jobs, async (_, state) => {
        const job = await state.storage.get<{ retryAt?: number }>("job");
        if (job?.retryAt !== undefined) await state.storage.put("job", { ...job, retryAt: 0 });
        state.storage.sql.exec("UPDATE due_work SET due_at = 0"); // and the object's own wait for it
      });
      await runDurableObjectAlarm(jobs);
      const job = await backfill(p, id);
      if (job.status !== "running") return job;
    }
    throw new Error(`backfill ${id} still running`);
  }

  it("retries the failed profiles in rounds, ends partial naming them (never succeeded), and resumes on request", async () => {
    const p = await createProject("seg-partial");
    const ids = ["okay-user-1", "okay-user-2", "okay-user-3"];
    const res = await upload({ api_key: p.apiKey, events: ids.map((id) => ({ user_id: id, event_type: "Viewed" })) });
    expect(res.status).toBe(200);
    for (const id of ids) await runDurableObjectAlarm(env.USER_PROFILE.getByName(profileObjectName(p.id, user(id))));
    // A registry row no profile answers to: its recompute fails every time.
    await env.DB.prepare("INSERT INTO users (project_id, profile_key, event_count, first_seen, last_seen) VALUES (?, 'x:broken', 1, 1, 1)").bind(p.id).run();

    const created = await admin(`/projects/${p.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Viewed", definition: { type: "behavioral", match: { performed: { event: { type: "Viewed" } } } } }),
    });
    const { id: cohortId, backfill: started } = await created.json<{ id: string; backfill: { id: string; total: number } }>();
    expect(started.total).toBe(4);
    const ended = await runUntilSettled(p.id, started.id);
    expect(ended).toMatchObject({ status: "partial", processed: 4, failures: 1, failed_profiles: ["x:broken"], retry_rounds: 3 });
    expect(ended.last_error).toContain("not a profile key");

    // The cohort's page says so, and its button resumes the backfill through the API.
    const { cookie, csrf } = await uiSession();
    const page = await (await call(`/admin/p/${p.id}/cohorts/${cohortId}`, { headers: { cookie } })).text();
    expect(page).toContain('data-live-field="status">partial</span>');
    expect(page).not.toContain(`data-live-url="/admin/api/projects/${p.id}/backfills"`); // ended: nothing to refresh
    expect(page).toContain("1 profiles could not be recomputed");
    expect(page).toMatch(/id="backfill-failed">Not recomputed: <code>x:broken<\/code>/);
    expect(page).toContain(`action="/admin/p/${p.id}/cohorts/${cohortId}/backfills/${started.id}/resume"`);
    const viaUi = await call(`/admin/p/${p.id}/cohorts/${cohortId}/backfills/${started.id}/resume`, {
      method: "POST",
      headers: { cookie },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: "manual",
    });
    expect(viaUi.status).toBe(303);
    expect(await backfill(p.id, started.id)).toMatchObject({ status: "running", retry_rounds: 0 });
    const running = await (await call(`/admin/p/${p.id}/cohorts/${cohortId}`, { headers: { cookie } })).text();
    expect(running).toContain(`data-live-url="/admin/api/projects/${p.id}/backfills"`); // the page follows the running job
    expect(await runUntilSettled(p.id, started.id)).toMatchObject({ status: "partial", failures: 1, retry_rounds: 3 });

    // Resuming retries them again (and ends partial again: the row is still broken).
    const resumed = await admin(`/projects/${p.id}/backfills/${started.id}/resume`, { method: "POST" });
    expect(resumed.status).toBe(202);
    expect(await resumed.json()).toMatchObject({ status: "running", retry_rounds: 0 });
    expect((await admin(`/projects/${p.id}/backfills/${started.id}/resume`, { method: "POST" })).status).toBe(409);
    expect(await runUntilSettled(p.id, started.id)).toMatchObject({ status: "partial", failures: 1, retry_rounds: 3 });
    // Another project cannot resume it; an unknown one is a 404.
    const other = await createProject("seg-partial-other");
    expect((await admin(`/projects/${other.id}/backfills/${started.id}/resume`, { method: "POST" })).status).toBe(404);
  }, 30_000);
});

describe("index writes that fail", () => {
  it("stay in the profile's outbox and are retried until D1 takes them: the index then equals every profile's flags", async () => {
    const p = await createProject("seg-faults");
    const ids = Array.from({ length: 12 }, (_, i) => `fault-user-${i}`);
    const stub = (id: string) => env.USER_PROFILE.getByName(profileObjectName(p.id, user(id)));
    const sendP = async (events: object[]) => expect((await upload({ api_key: p.apiKey, events })).status).toBe(200);
    const res = await admin(`/projects/${p.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({
        name: "Bought, kept it",
        definition: {
          type: "behavioral",
          match: { all: [{ performed: { event: { type: "Purchased" } } }, { not: { performed: { event: { type: "Refunded" } } } }] },
        },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id: cohortId } = await res.json<{ id: string }>();
    /** Runs a profile's due work now, whatever its backoff says. */
    const runNow = async (id: string) => {
      await runInDurableObject(stub(id), (_, st) => st.storage.sql.exec("UPDATE due_work SET due_at = 0"));
      await runDurableObjectAlarm(stub(id));
    };

    // Every write to the index fails (the real D1 refuses it) while users enter, and some leave again.
    await env.DB.batch([
      env.DB.prepare("CREATE TRIGGER fail_index_insert BEFORE INSERT ON cohort_members BEGIN SELECT RAISE(ABORT, 'injected index failure'); END"),
      env.DB.prepare("CREATE TRIGGER fail_index_delete BEFORE DELETE ON cohort_members BEGIN SELECT RAISE(ABORT, 'injected index failure'); END"),
    ]);
    try {
      await sendP(ids.map((id) => ({ user_id: id, event_type: "Purchased" })));
      for (const id of ids) await runNow(id);
      await sendP(ids.slice(0, 4).map((id) => ({ user_id: id, event_type: "Refunded" })));
      for (const id of ids) await runNow(id);
      expect(await members(cohortId)).toEqual([]);
      for (const id of ids) {
        const owed = await runInDurableObject(stub(id), (_, st) =>
          st.storage.sql.exec<{ attempts: number }>("SELECT attempts FROM due_work WHERE kind = 'memberships'").toArray(),
        );
        expect(owed.length, id).toBe(1);
        expect(owed[0]!.attempts, id).toBeGreaterThan(0);
        expect((await stub(id).indexedCohorts())!.pending, id).toBe(true);
      }
    } finally {
      await env.DB.batch([env.DB.prepare("DROP TRIGGER fail_index_insert"), env.DB.prepare("DROP TRIGGER fail_index_delete")]);
    }

    // D1 answers again: the retries (here run without waiting out their backoff) deliver everything, in order.
    for (const id of ids) await runNow(id);
    const flagged: string[] = [];
    for (const id of ids) {
      const seen = (await stub(id).indexedCohorts())!;
      expect(seen.pending, id).toBe(false);
      if (seen.cohort_ids.includes(cohortId)) flagged.push(`u:${id}`);
    }
    expect(flagged.sort()).toEqual(
      ids
        .slice(4)
        .map((id) => `u:${id}`)
        .sort(),
    );
    expect(await members(cohortId)).toEqual(flagged);
    // The change log has each user's entry, and the four exits after them.
    const log = await changes(cohortId);
    expect(log.filter((c) => c.in_cohort === 1)).toHaveLength(12);
    expect(
      log
        .filter((c) => c.in_cohort === 0)
        .map((c) => c.profile_key)
        .sort(),
    ).toEqual(
      ids
        .slice(0, 4)
        .map((id) => `u:${id}`)
        .sort(),
    );
  }, 30_000);
});

describe("reconciling the membership index with the profiles", () => {
  type Run = { id: string; status: string; checked: number; added: number; removed: number; skipped: number; failures: number };
  async function runReconcile(p: string): Promise<Run> {
    const started = await admin(`/projects/${p}/reconciliations`, { method: "POST" });
    expect(started.status).toBe(202);
    const { id } = await started.json<Run>();
    const jobs = env.PROJECT_JOBS.getByName(p);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      await runDurableObjectAlarm(jobs);
      const run = (await (await admin(`/projects/${p}/reconciliations`)).json<{ reconciliations: Run[] }>()).reconciliations.find((r) => r.id === id)!;
      if (run.status !== "running") return run;
    }
    throw new Error(`reconciliation ${id} still running`);
  }

  it("repairs index rows that disagree with the profiles (lost writes), logs them as changes, and finds nothing the second time", async () => {
    const p = await createProject("seg-reconcile");
    const ids = ["recon-user-1", "recon-user-2", "recon-user-3"];
    const res = await upload({ api_key: p.apiKey, events: ids.map((id, i) => ({ user_id: id, event_type: i < 2 ? "Purchased" : "Viewed" })) });
    expect(res.status).toBe(200);
    const cohort = await admin(`/projects/${p.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Buyers", definition: { type: "behavioral", match: { performed: { event: { type: "Purchased" } } } } }),
    });
    const { id: cohortId } = await cohort.json<{ id: string }>();
    const stub = (id: string) => env.USER_PROFILE.getByName(profileObjectName(p.id, user(id)));
    for (const id of ids) {
      await stub(id).refresh();
      await runInDurableObject(stub(id), (_, st) => st.storage.sql.exec("UPDATE due_work SET due_at = 0"));
      await runDurableObjectAlarm(stub(id));
    }
    await expectMembers(cohortId, ["u:recon-user-1", "u:recon-user-2"]);

    // Two writes the index lost or got wrong: a member missing, a non-member present.
    await env.DB.prepare("DELETE FROM cohort_members WHERE cohort_id = ? AND profile_key = 'u:recon-user-2'").bind(cohortId).run();
    await env.DB.prepare("INSERT INTO cohort_members (project_id, cohort_id, profile_key, entered_at) VALUES (?, ?, 'u:recon-user-3', 1)")
      .bind(p.id, cohortId)
      .run();
    const before = Date.now();
    expect(await runReconcile(p.id)).toMatchObject({ status: "succeeded", checked: 3, added: 1, removed: 1, skipped: 0, failures: 0 });
    expect(await members(cohortId)).toEqual(["u:recon-user-1", "u:recon-user-2"]);
    const logged = await env.DB.prepare("SELECT profile_key, in_cohort FROM membership_changes WHERE cohort_id = ? AND changed_at >= ? ORDER BY profile_key")
      .bind(cohortId, before)
      .all();
    expect(logged.results).toEqual([
      { profile_key: "u:recon-user-2", in_cohort: 1 },
      { profile_key: "u:recon-user-3", in_cohort: 0 },
    ]);
    expect(await runReconcile(p.id)).toMatchObject({ status: "succeeded", checked: 3, added: 0, removed: 0 });
  }, 30_000);

  it("the cron starts one a day per project with cohorts, and not on a project's first day", async () => {
    const { startDueReconciliations } = await import("../../src/edge/cron");
    const p = await createProject("seg-reconcile-cron");
    await admin(`/projects/${p.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Any", definition: { type: "behavioral", match: { performed: { event: { type: "Seen" } } } } }),
    });
    expect(await startDueReconciliations(env, Date.now())).not.toContain(p.id);
    const tomorrow = Date.now() + 86_400_000 + 60_000;
    expect(await startDueReconciliations(env, tomorrow)).toContain(p.id);
    // Started just now (by the line above): not due again until a day later.
    expect(await startDueReconciliations(env, Date.now() + 3_600_000)).not.toContain(p.id);
  });
});

describe("static cohorts", () => {
  it("uploaded ids become members (unknown ids are skipped) and feed cohorts of cohorts", async () => {
    await send([
      { user_id: "static-user-1", event_type: "Seen" },
      { user_id: "static-user-2", event_type: "Seen" },
    ]);
    for (const id of ["static-user-1", "static-user-2"]) await runDurableObjectAlarm(stubOf(user(id)));
    const list = await define("cohorts", "Newsletter list", { type: "static" });
    const listedAndActive = await define("cohorts", "Listed and active", {
      type: "behavioral",
      match: { all: [{ cohort: { id: list } }, { performed: { event: { type: "Seen" } } }] },
    });
    const res = await admin(`/projects/${project.id}/cohorts/${list}/members`, {
      method: "POST",
      body: JSON.stringify({ ids: ["static-user-1", "static-user-2", "never-seen-user"] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ cohort_id: list, operation: "add", applied: 2, skipped_ids: ["never-seen-user"] });
    expect((await profile(project.id, user("static-user-1")).getSegments())?.cohort_ids.sort()).toEqual([list, listedAndActive].sort());

    await admin(`/projects/${project.id}/cohorts/${list}/members`, { method: "POST", body: JSON.stringify({ ids: ["static-user-2"], operation: "remove" }) });
    for (const id of ["static-user-1", "static-user-2"]) await runDue(user(id));
    await expectMembers(list, ["u:static-user-1"]);
    await expectMembers(listedAndActive, ["u:static-user-1"]);

    const behavioral = await admin(`/projects/${project.id}/cohorts/${listedAndActive}/members`, {
      method: "POST",
      body: JSON.stringify({ ids: ["x-user-1"] }),
    });
    expect(behavioral.status).toBe(400);
  });
});
