import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { profileObjectName, type ProfileRef, type TailorEvent } from "../../src/core/event";
import { loadState, STATE_VERSION } from "../../src/durable/profile-state";
import type { IngestRequest } from "../../src/durable/rpc";
import { CURRENT_SCHEMA_VERSION } from "../../src/durable/schema";
import { UserProfile } from "../../src/durable/user-profile";
import { create, createProject, profile, upload, type TestProject } from "./helpers";

// What a profile's storage holds across versions of the code: each case writes a layout an
// older version left, then starts the object again (a new instance on the same storage, as
// after an eviction) and checks what it reads.
let project: TestProject;
beforeAll(async () => {
  project = await createProject("profile-storage");
});

const stubOf = (ref: ProfileRef) => env.USER_PROFILE.getByName(profileObjectName(project.id, ref));
function pageView(ref: ProfileRef, insertId: string, time: number): IngestRequest {
  const e: TailorEvent = {
    uuid: insertId,
    insert_id: insertId,
    event_type: "Page Viewed",
    user_id: ref.id,
    time,
    received_at: time,
    event_properties: {},
    user_properties: {},
  };
  return { projectId: project.id, profile: ref, events: [e], limits: { eventsPerSecond: 1_000, windowSeconds: 10 } };
}

describe("a profile's stored layout", () => {
  it("a state row from before the layout had a version is upgraded as it is read, and written back at the current one", async () => {
    const ref: ProfileRef = { kind: "user", id: "old-state" };
    await stubOf(ref).ingest(pageView(ref, "o-1", Date.now() - 1_000));
    await runInDurableObject(stubOf(ref), async (_: UserProfile, state) => {
      // A profile as the first versions left it before its first event: a row without a
      // version, counters or cursors.
      state.storage.sql.exec("DELETE FROM events");
      state.storage.sql.exec("UPDATE state SET version = 0, body = ?", JSON.stringify({ projectId: project.id, profile: ref, properties: { plan: "pro" } }));
      const restarted = new UserProfile(state, env);
      expect(await restarted.getProfile()).toMatchObject({ user_properties: { plan: "pro" }, event_count: 0 });
      expect(await restarted.ingest(pageView(ref, "o-2", Date.now()))).toMatchObject({ accepted: 1 });
      expect(state.storage.sql.exec<{ version: number }>("SELECT version FROM state").one().version).toBe(STATE_VERSION);
      expect(loadState(state.storage.sql)).toMatchObject({ eventCount: 1, lastSeq: 1, properties: { plan: "pro" } });
    });
  });

  it("a state row newer than the running code is refused with a clear error, and left as it is", async () => {
    const ref: ProfileRef = { kind: "user", id: "future-state" };
    await stubOf(ref).ingest(pageView(ref, "f-1", Date.now()));
    await runInDurableObject(stubOf(ref), async (_: UserProfile, state) => {
      state.storage.sql.exec("UPDATE state SET version = ?", STATE_VERSION + 1);
      const before = state.storage.sql.exec<{ body: string }>("SELECT body FROM state").one().body;
      expect(() => new UserProfile(state, env)).toThrow(`profile state version ${STATE_VERSION + 1} is newer than this code's (${STATE_VERSION})`);
      expect(state.storage.sql.exec<{ body: string }>("SELECT body FROM state").one().body).toBe(before);
      state.storage.sql.exec("UPDATE state SET version = ?", STATE_VERSION);
    });
  });

  it("an object erased by an older version (its tombstone table alone) keeps dropping old events, and keeps the tombstone when it is written again", async () => {
    const ref: ProfileRef = { kind: "user", id: "old-tombstone" };
    const erasedAt = Date.now() - 10_000;
    await runInDurableObject(stubOf(ref), async (_: UserProfile, state) => {
      await state.storage.deleteAll();
      state.storage.sql.exec("CREATE TABLE erasure (id INTEGER PRIMARY KEY CHECK (id = 1), erased_at INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO erasure (id, erased_at) VALUES (1, ?)", erasedAt);
      const restarted = new UserProfile(state, env);
      expect(await restarted.getProfile()).toBeNull();
      expect(await restarted.ingest(pageView(ref, "t-1", erasedAt - 1))).toEqual({ status: "ok", accepted: 0, duplicates: 1 });
      expect(await restarted.ingest(pageView(ref, "t-2", erasedAt + 1))).toMatchObject({ accepted: 1 });
      expect(state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").one().version).toBe(CURRENT_SCHEMA_VERSION);
      expect(state.storage.sql.exec<{ at: number }>("SELECT erased_at AS at FROM erasure").one().at).toBe(erasedAt);
      expect((await restarted.getEvents()).map((e) => e.insert_id)).toEqual(["t-2"]);
    });
  });

  it("a stored definition that no longer parses is skipped: the project's ingestion and its other cohorts go on", async () => {
    const viewers = await create(project.id, "cohorts", {
      name: "Viewers",
      definition: { type: "behavioral", match: { performed: { event: { type: "Page Viewed" } } } },
    });
    // Rows as another version (or a hand edit) left them: one this code cannot parse, and one that refers to it.
    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO cohorts (id, project_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
        "coh_future",
        project.id,
        "From the future",
        JSON.stringify({ type: "behavioral", match: { hologram: true } }),
        now,
        now,
      ),
      env.DB.prepare("INSERT INTO cohorts (id, project_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)").bind(
        "coh_needs_future",
        project.id,
        "Needs it",
        JSON.stringify({ type: "behavioral", match: { cohort: { id: "coh_future" } } }),
        now,
        now,
      ),
      env.DB.prepare("UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = ?").bind(project.id),
    ]);
    const res = await upload({ api_key: project.apiKey, events: [{ user_id: "after-bad-row", event_type: "Page Viewed", insert_id: "b-1" }] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await profile(project.id, { kind: "user", id: "after-bad-row" }).getSegments())?.cohort_ids).toEqual([viewers]);
    await env.DB.prepare("DELETE FROM cohorts WHERE id IN ('coh_future', 'coh_needs_future')").run();
  });
});
