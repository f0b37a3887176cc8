import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { profileObjectName, type TailorEvent } from "../../src/core/event";
import type { IngestRequest } from "../../src/durable/rpc";
import type { UserProfile } from "../../src/durable/user-profile";
import { createProject, device, profile, user, type TestProject } from "./helpers";

// A call suspended at an await (D1, R2, another profile) lets other calls of the same
// object run; when it resumes it must not write over what they did. Each case holds a
// call at its D1 read (a version of the definitions the isolate has not seen), runs the
// other call, then lets the first go on.
let project: TestProject;
beforeAll(async () => {
  project = await createProject("profile-races");
});

let n = 0;
function event(ref: { kind: "user" | "device"; id: string }, eventType: string, time: number): TailorEvent {
  n++;
  return {
    uuid: `race-${n}`,
    insert_id: `race-${n}`,
    event_type: eventType,
    ...(ref.kind === "user" ? { user_id: ref.id } : { device_id: ref.id }),
    time,
    received_at: time,
    event_properties: {},
    user_properties: { last: eventType },
  };
}

let unseenVersion = 1_000_000;
function ingestOf(ref: { kind: "user" | "device"; id: string }, events: TailorEvent[], { held = false } = {}): IngestRequest {
  return {
    projectId: project.id,
    profile: ref,
    events,
    limits: { eventsPerSecond: 1_000, windowSeconds: 10 },
    ...(held ? { definitionsVersion: unseenVersion++ } : {}),
  };
}

/** D1 whose statements wait for `open` before they run. */
function heldDb(db: D1Database, open: Promise<unknown>): D1Database {
  const statement = (s: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => statement(target.bind(...args));
        if (prop === "all" || prop === "raw" || prop === "first" || prop === "run") {
          return async (...args: unknown[]) => {
            await open;
            return (target[prop] as (...a: unknown[]) => unknown)(...args);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          await open;
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Inside the profile's object: starts `first` with D1 held, runs `second` to its end,
 * then lets D1 answer and waits for `first`.
 */
async function interleaved<A, B>(
  ref: { kind: "user" | "device"; id: string },
  first: (p: UserProfile) => Promise<A>,
  second: (p: UserProfile) => Promise<B>,
): Promise<[A, B]> {
  return runInDurableObject(env.USER_PROFILE.getByName(profileObjectName(project.id, ref)), async (instance: UserProfile) => {
    const target = instance as unknown as { env: Env };
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    const realEnv = target.env;
    target.env = { ...realEnv, DB: heldDb(realEnv.DB, open) };
    try {
      const a = first(instance);
      const b = await second(instance);
      release();
      return [await a, b];
    } finally {
      target.env = realEnv;
    }
  });
}

describe("calls that ran while another was suspended", () => {
  it("an erase during an ingest's await is not undone: the profile stays erased, the late event is dropped", async () => {
    const ref = user("race-erased");
    const stub = profile(project.id, ref);
    const t = Date.now() - 60_000;
    expect(await stub.ingest(ingestOf(ref, [event(ref, "Signed Up", t)]))).toMatchObject({ status: "ok", accepted: 1 });

    const [ingested, erased] = await interleaved(
      ref,
      (p) => p.ingest(ingestOf(ref, [event(ref, "Order Completed", t + 1)], { held: true })),
      (p) => p.erase(),
    );
    expect(erased.erased).toBe(true);
    // The event is from before the erasure: acknowledged and dropped, never stored.
    expect(ingested).toEqual({ status: "ok", accepted: 0, duplicates: 1 });
    expect(await stub.getProfile()).toBeNull();
    expect(await stub.getEvents()).toEqual([]);

    // The erased profile starts afresh with a later event, and only with it.
    expect(await stub.ingest(ingestOf(ref, [event(ref, "Came Back", Date.now() + 1_000)]))).toMatchObject({ accepted: 1 });
    expect((await stub.getEvents()).map((e) => e.event_type)).toEqual(["Came Back"]);
    expect((await stub.getProfile())?.user_properties).toEqual({ last: "Came Back" });
  });

  it("a device linked to a user during its ingest's await passes the event on to the user", async () => {
    const dev = device("race-linked-device");
    const deviceStub = profile(project.id, dev);
    const t = Date.now() - 60_000;
    await deviceStub.ingest(ingestOf(dev, [event(dev, "Viewed", t)]));

    const [ingested] = await interleaved(
      dev,
      (p) => p.ingest(ingestOf(dev, [event(dev, "Added To Cart", t + 1)], { held: true })),
      (p) => p.linkTo(project.id, dev.id, "race-owner"),
    );
    expect(ingested).toMatchObject({ status: "ok", accepted: 1 });
    // The device keeps only what it had when it was linked; the new event went to its user.
    expect((await deviceStub.getEvents()).map((e) => e.event_type)).toEqual(["Viewed"]);
    const owner = profile(project.id, user("race-owner"));
    expect((await owner.getEvents()).map((e) => [e.event_type, e.user_id])).toEqual([["Added To Cart", "race-owner"]]);
  });

  it("an erase during a static-membership write is not undone", async () => {
    const ref = user("race-static");
    const stub = profile(project.id, ref);
    await stub.ingest(ingestOf(ref, [event(ref, "Signed Up", Date.now() - 60_000)]));
    // An unknown cohort id makes the write re-read the definitions from D1 (its await).
    await interleaved(
      ref,
      (p) => p.setStaticMembership(project.id, ref, "coh_not_defined_yet", true),
      (p) => p.erase(),
    );
    // Run again after the erase, as if it had come after it: nothing of the erased profile is back.
    expect(await stub.getEvents()).toEqual([]);
    expect(await stub.getProfile()).toMatchObject({ user_properties: {}, event_count: 0 });
  });
});
