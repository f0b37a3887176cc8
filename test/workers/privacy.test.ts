import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { archivePrefix, parseNdjson } from "../../src/core/archive";
import { profileObjectName, type ProfileRef, type TailorEvent } from "../../src/core/event";
import { sha256Hex } from "../../src/core/hash";
import { admin, call, create, createProject, device, fakeDestinations, upload, user, type TestProject } from "./helpers";

let project: TestProject;
let cohortId: string;
let syncId: string;
let propertySyncId: string;
let facebookSyncId: string;

const send = async (events: unknown[]) => {
  const res = await upload({ api_key: project.apiKey, events });
  expect(res.status, await res.clone().text()).toBe(200);
};

async function post<T>(path: string, body: unknown, status = 201): Promise<T> {
  const res = await admin(path, { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(status);
  return res.json<T>();
}

const stubOf = (ref: ProfileRef) => env.USER_PROFILE.getByName(profileObjectName(project.id, ref));

/** Runs all of a profile's due work now: archive flush, registry, memberships. */
async function flush(ref: ProfileRef) {
  const stub = stubOf(ref);
  await runInDurableObject(stub, (_, s) => {
    if (s.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'due_work'").toArray().length > 0) s.storage.sql.exec("UPDATE due_work SET due_at = 0");
  });
  await runDurableObjectAlarm(stub);
}

async function archived(): Promise<TailorEvent[]> {
  const listed = await env.ARCHIVE.list({ prefix: archivePrefix(project.id) });
  const out: TailorEvent[] = [];
  for (const o of listed.objects) out.push(...parseNdjson(await (await env.ARCHIVE.get(o.key))!.text()));
  return out;
}

type Job = {
  id: string;
  status: string;
  phase: string;
  last_error: string | null;
  skipped_ids: string[];
  profiles: { profile_key: string; erased_at: number | null }[];
  archive: { objects_scanned: number; objects_rewritten: number; lines_removed: number };
};

/** Drives the project's jobs object until the deletion is done; `steps` sees the job after each step. */
async function runJob(id: string, steps: Job[] = []): Promise<Job> {
  const jobs = env.PROJECT_JOBS.getByName(project.id);
  for (let i = 0; i < 50; i++) {
    await runDurableObjectAlarm(jobs);
    const job = await (await admin(`/projects/${project.id}/deletions/${id}`)).json<Job>();
    steps.push(job);
    if (job.status === "done") return job;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`deletion ${id} never finished`);
}

/** Runs the Facebook audience sync against a fake Graph API: what each request did, and to which hashed emails. */
async function runFacebookSync(): Promise<{ method: string; emails: string[] }[]> {
  const fake = fakeDestinations();
  try {
    const run = await post<{ status: string }>(`/projects/${project.id}/syncs/${facebookSyncId}/run`, undefined, 200);
    expect(run.status).toBe("succeeded");
    return fake.calls.map((c) => {
      expect(c.path).toBe("/v21.0/A1/users?access_token=fb-token");
      return { method: c.method, emails: (JSON.parse(c.body) as { payload: { data: string[] } }).payload.data };
    });
  } finally {
    fake.restore();
  }
}

/** Runs a sync writing R2 files; answers its newest file, or "" when the run had nothing to write. */
async function runSync(id = syncId): Promise<string> {
  const listFiles = async () => (await (await admin(`/projects/${project.id}/syncs/${id}/exports`)).json<{ files: { key: string; url: string }[] }>()).files;
  const before = (await listFiles()).length;
  const run = await post<{ status: string }>(`/projects/${project.id}/syncs/${id}/run`, undefined, 200);
  expect(run.status).toBe("succeeded");
  const files = await listFiles();
  if (files.length === before) return "";
  const last = files.sort((a, b) => a.key.localeCompare(b.key)).at(-1)!;
  return (await admin(last.url.replace("/admin/api", ""))).text();
}

const hour = 3_600_000;
const t0 = Date.now() - 5 * hour;

beforeAll(async () => {
  project = await createProject("privacy");
  cohortId = await create(project.id, "cohorts", { name: "Viewers", definition: { type: "behavioral", match: { performed: { event: { type: "Viewed" } } } } });
  const views = await create(project.id, "computations", { name: "Views", definition: { event: { type: "Viewed" }, aggregate: "count" } });
  const destination = await create(project.id, "destinations", { name: "Files", definition: { type: "r2_export", format: "ndjson" } });
  syncId = await create(project.id, "syncs", {
    name: "Viewers to files",
    definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" },
  });
  const facebook = await create(project.id, "destinations", {
    name: "Facebook audience",
    definition: { type: "facebook", base_url: "http://dest.test", audience_id: "A1", email_property: "email", credentials: { access_token: "fb-token" } },
  });
  facebookSyncId = await create(project.id, "syncs", {
    name: "Viewers to Facebook",
    definition: { destination_id: facebook, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" },
  });
  propertySyncId = await create(project.id, "syncs", {
    name: "Viewers' views to files",
    definition: {
      destination_id: destination,
      what: { kind: "properties", cohort_id: cohortId, computations: [{ id: views, as: "views" }] },
      schedule: "manual",
    },
  });

  // Alice browses anonymously, signs in on that device, and carries on as a user; Bob alongside her.
  await send([{ device_id: "alice-phone", event_type: "Viewed", insert_id: "a-1", time: t0 }]);
  await send([
    {
      user_id: "alice",
      device_id: "alice-phone",
      event_type: "Signed In",
      insert_id: "a-2",
      time: t0 + hour,
      user_properties: { $set: { email: "alice@example.com" } },
    },
    { user_id: "bobby", event_type: "Viewed", insert_id: "b-1", time: t0 },
  ]);
  await send([
    { user_id: "alice", event_type: "Viewed", insert_id: "a-3", time: t0 + 2 * hour },
    { user_id: "bobby", event_type: "Viewed", insert_id: "b-2", time: t0 + 2 * hour },
  ]);
  for (const ref of [device("alice-phone"), user("alice"), user("bobby")]) await flush(ref);
  const rows = await env.DB.prepare("SELECT profile_key FROM cohort_members WHERE cohort_id = ? ORDER BY profile_key")
    .bind(cohortId)
    .all<{ profile_key: string }>();
  expect(rows.results.map((r) => r.profile_key)).toEqual(["u:alice", "u:bobby"]);
  expect(await runSync()).toContain('"user_id":"alice"');
  const audience = await runFacebookSync();
  // Alice is named by her hashed email; Bobby has none (skipped).
  expect(audience).toEqual([{ method: "POST", emails: [await sha256Hex("alice@example.com")] }]);
  expect(await runSync(propertySyncId)).toContain('{"user_id":"alice","device_id":null,"in_cohort":true,"properties":{"views":');
  const before = await archived();
  expect(
    before
      .filter((e) => e.user_id === "alice" || e.device_id === "alice-phone")
      .map((e) => e.insert_id)
      .sort(),
  ).toEqual(["a-1", "a-2", "a-3"]);
});

describe("privacy deletion (admin API)", () => {
  let job: Job;
  let erasedAt: number;

  it("accepts a deletion by user id and reports it staged", async () => {
    const created = await post<Job>(`/projects/${project.id}/deletions`, { user_ids: ["alice"], requester: "dpo@example.com" }, 202);
    expect(created).toMatchObject({ status: "staging", phase: "profiles", profiles: [{ profile_key: "u:alice", erased_at: null }], skipped_ids: [] });
    const steps: Job[] = [];
    job = await runJob(created.id, steps);
    expect(job.status).toBe("done");
    expect(job.last_error).toBeNull();
    expect(job.archive.lines_removed).toBe(3);
    // Profiles first (submitted), then the archive in pages of DELETION_PAGE=2 objects,
    // each step resuming from the cursor the last one saved in D1.
    // (The runtime may also fire the alarm itself between two of ours: steps can merge.)
    const progress = steps.map((s) => `${s.status}:${s.phase}:${s.archive.objects_scanned}`);
    expect(progress.slice(0, -1).every((p) => p === "staging:profiles:0" || p.startsWith("submitted:archive:"))).toBe(true);
    expect(progress.at(-1)).toBe(`done:done:${job.archive.objects_scanned}`);
    expect(job.archive.objects_scanned).toBeGreaterThanOrEqual(5);
    expect(new Set(steps.map((s) => s.archive.objects_scanned)).size).toBeGreaterThanOrEqual(2);
    erasedAt = job.profiles[0]!.erased_at!;
    expect(erasedAt).toBeGreaterThan(t0);
    const list = await (await admin(`/projects/${project.id}/deletions`)).json<{ deletions: Job[] }>();
    expect(list.deletions.map((d) => d.id)).toContain(created.id);
  });

  it("the profile and its device are gone: reads answer unknown, their objects hold only a tombstone", async () => {
    expect((await admin(`/projects/${project.id}/users?user_id=alice`)).status).toBe(404);
    expect((await admin(`/projects/${project.id}/users?device_id=alice-phone`)).status).toBe(404);
    const res = await call("/v1/userprofile?user_id=alice&get_amp_props=true", { headers: { authorization: `Api-Key ${project.secretKey}` } });
    expect(await res.json()).toEqual({ error: "User id and device id not seen before" });
    for (const ref of [user("alice"), device("alice-phone")]) {
      // The schema (empty tables), the tombstone its only row.
      const [rows, alarm] = await runInDurableObject(stubOf(ref), async (_, s) => {
        const names = s.storage.sql
          .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name <> 'schema_version'")
          .toArray()
          .map((r) => r.name);
        return [
          Object.fromEntries(names.map((name) => [name, s.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${name}`).one().n])),
          await s.storage.getAlarm(),
        ] as const;
      });
      expect(Object.entries(rows).filter(([, n]) => n > 0)).toEqual([["erasure", 1]]);
      expect(Object.keys(rows)).toEqual(expect.arrayContaining(["state", "events", "erasure"]));
      expect(alarm).toBeNull();
    }
  });

  it("memberships and registry rows are removed, and the exit is in the change log", async () => {
    const members = await env.DB.prepare("SELECT profile_key FROM cohort_members WHERE project_id = ?").bind(project.id).all<{ profile_key: string }>();
    expect(members.results.map((r) => r.profile_key)).toEqual(["u:bobby"]);
    const changes = await env.DB.prepare("SELECT in_cohort, changed_at FROM membership_changes WHERE cohort_id = ? AND profile_key = 'u:alice' ORDER BY seq")
      .bind(cohortId)
      .all();
    expect(changes.results).toEqual([
      { in_cohort: 1, changed_at: expect.any(Number) },
      { in_cohort: 0, changed_at: erasedAt },
    ]);
    const registry = await env.DB.prepare("SELECT profile_key FROM users WHERE project_id = ? ORDER BY profile_key")
      .bind(project.id)
      .all<{ profile_key: string }>();
    expect(registry.results.map((r) => r.profile_key)).toEqual(["u:bobby"]);
  });

  it("a sync delivers the exit (ids only, no properties)", async () => {
    const file = await runSync();
    const lines = file
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([{ user_id: "alice", device_id: null, in_cohort: false, changed_at: new Date(erasedAt).toISOString() }]);
    expect(file).not.toContain("example.com");
  });

  it("a list destination (named by a property the erasure removed) still gets the exit, then the kept id is forgotten", async () => {
    const kept = await env.DB.prepare("SELECT profile_key, destination_user_id FROM departed_ids WHERE sync_id = ?").bind(facebookSyncId).all();
    expect(kept.results).toEqual([{ profile_key: "u:alice", destination_user_id: await sha256Hex("alice@example.com") }]);
    expect(await runFacebookSync()).toEqual([{ method: "DELETE", emails: [await sha256Hex("alice@example.com")] }]);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM departed_ids WHERE sync_id = ?").bind(facebookSyncId).first<{ n: number }>();
    expect(after!.n).toBe(0);
    expect(await runFacebookSync()).toEqual([]);
  });

  it("a property sync clears what the destination held of her (no values), forgets it, and never sends her again", async () => {
    const file = await runSync(propertySyncId);
    expect(
      file
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ user_id: "alice", device_id: null, in_cohort: false, properties: { views: null } }]);
    const held = await env.DB.prepare("SELECT profile_key FROM sync_values WHERE sync_id = ? ORDER BY profile_key")
      .bind(propertySyncId)
      .all<{ profile_key: string }>();
    expect(held.results.map((r) => r.profile_key)).toEqual(["u:bobby"]);
    expect(await runSync(propertySyncId)).toBe("");
  });

  it("the archive no longer holds the user's or her device's lines; other users' lines remain", async () => {
    const after = await archived();
    expect(after.filter((e) => e.user_id === "alice" || e.device_id === "alice-phone")).toEqual([]);
    expect(
      after
        .filter((e) => e.user_id === "bobby")
        .map((e) => e.insert_id)
        .sort(),
    ).toEqual(["b-1", "b-2"]);
  });

  it("late events: before the erasure they are dropped; after it they start a fresh, empty profile", async () => {
    await send([{ user_id: "alice", event_type: "Viewed", insert_id: "a-3", time: t0 + 2 * hour }]); // an SDK retry
    await send([{ device_id: "alice-phone", event_type: "Viewed", insert_id: "a-1", time: t0 }]);
    expect((await admin(`/projects/${project.id}/users?user_id=alice`)).status).toBe(404);
    expect((await admin(`/projects/${project.id}/users?device_id=alice-phone`)).status).toBe(404);

    await send([{ user_id: "alice", event_type: "Came Back", insert_id: "a-9", time: erasedAt + 1 }]);
    const res = await admin(`/projects/${project.id}/users?user_id=alice&events=10`);
    const fresh = await res.json<{ profile: { event_count: number; user_properties: object; device_ids: string[] }; events: { event_type: string }[] }>();
    expect(fresh.profile).toMatchObject({ event_count: 1, user_properties: {}, device_ids: [] });
    expect(fresh.events.map((e) => e.event_type)).toEqual(["Came Back"]);
  });

  it("re-running a finished job (as after a crash) changes nothing and finishes again", async () => {
    await flush(user("alice")); // the fresh profile archives its event
    await env.DB.prepare("UPDATE deletion_jobs SET status = 'submitted', phase = 'archive', cursor = '' WHERE id = ?").bind(job.id).run();
    await env.PROJECT_JOBS.getByName(project.id).startDeletion(job.id);
    const again = await runJob(job.id);
    expect(again.archive.lines_removed).toBe(3);
    const after = await archived();
    expect(after.filter((e) => e.user_id === "alice").map((e) => e.event_type)).toEqual(["Came Back"]);
    expect(after.filter((e) => e.user_id === "bobby")).toHaveLength(2);
  });

  it("a deletion whose step keeps failing is retried and reported, and blocks no other deletion", async () => {
    // Queued first: a job whose target no profile answers to, so its erase step fails every time.
    const stuck = "del_stuck";
    const now = Date.now();
    await env.DB.prepare("INSERT INTO deletion_jobs (id, project_id, status, targets, skipped, created_at, updated_at) VALUES (?, ?, 'staging', ?, '[]', ?, ?)")
      .bind(stuck, project.id, JSON.stringify([{ key: "x:broken", requested: ["broken"] }]), now, now)
      .run();
    const jobs = env.PROJECT_JOBS.getByName(project.id);
    await jobs.startDeletion(stuck);
    try {
      await send([{ user_id: "carol", event_type: "Viewed", insert_id: "c-1", time: t0 }]);
      await flush(user("carol"));
      const carol = await post<Job>(`/projects/${project.id}/deletions`, { user_ids: ["carol"] }, 202);
      expect((await runJob(carol.id)).status).toBe("done");
      const report = await (await admin(`/projects/${project.id}/deletions/${stuck}`)).json<Job & { attempts: number }>();
      expect(report).toMatchObject({ status: "staging", phase: "profiles" });
      expect(report.attempts).toBeGreaterThan(0);
      expect(report.last_error).toMatch(/1 of 1 profiles not erased yet \(x:broken\)/);
    } finally {
      await env.DB.prepare("DELETE FROM deletion_jobs WHERE id = ?").bind(stuck).run();
    }
  });

  it("unknown ids are a 400 naming them, or skipped with ignore_invalid_ids", async () => {
    const bad = await admin(`/projects/${project.id}/deletions`, { method: "POST", body: JSON.stringify({ user_ids: ["nobody-here"] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", details: [{ field: "ids", message: "unknown id nobody-here" }] } });
    const empty = await admin(`/projects/${project.id}/deletions`, { method: "POST", body: JSON.stringify({}) });
    expect(empty.status).toBe(400);
    const skipped = await post<Job>(`/projects/${project.id}/deletions`, { user_ids: ["nobody-here"], ignore_invalid_ids: true }, 202);
    expect(skipped).toMatchObject({ profiles: [], skipped_ids: ["nobody-here"] });
    expect((await runJob(skipped.id)).status).toBe("done");
  });
});

describe("Amplitude's User Privacy API (POST/GET /api/2/deletions/users)", () => {
  const auth = () => ({ authorization: `Basic ${btoa(`${project.apiKey}:${project.secretKey}`)}` });

  it("creates a job in Amplitude's shape and lists it with its status", async () => {
    const res = await call("/api/2/deletions/users", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ user_ids: ["bobby"], requester: "dpo@example.com" }),
    });
    expect(res.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const body = await res.json<{ job_id: string }>();
    expect(body).toEqual({
      day: today,
      status: "staging",
      amplitude_ids: [{ amplitude_id: "u:bobby", requester: "dpo@example.com", requested_on_day: today }],
      job_id: expect.any(String),
    });
    await runJob(body.job_id);
    const list = await (await call(`/api/2/deletions/users?start_day=${today}&end_day=${today}`, { headers: auth() })).json<
      { job_id: string; status: string }[]
    >();
    expect(list.find((j) => j.job_id === body.job_id)?.status).toBe("done");
    expect((await admin(`/projects/${project.id}/users?user_id=bobby`)).status).toBe(404);
  });

  it("refuses requests without the project's keys", async () => {
    expect((await call("/api/2/deletions/users", { method: "POST", body: "{}" })).status).toBe(401);
  });
});
