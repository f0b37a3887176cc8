import { createInstance, Identify } from "@amplitude/analytics-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// The official Amplitude Node SDK, pointed at the real local server with `serverUrl`.
let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };

beforeAll(async () => {
  worker = await startLocalWorker();
  keys = await worker.createProject("sdk");
});
afterAll(async () => {
  await worker?.stop();
});

async function lookup(userId: string) {
  const res = await fetch(`${worker.url}/admin/api/projects/sdk/users?user_id=${userId}&events=100`, {
    headers: { authorization: `Bearer ${worker.adminToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    profile: { user_properties: Record<string, unknown>; event_count: number };
    events: { event_type: string; insert_id: string }[];
  };
}

describe("@amplitude/analytics-node against Tailor", () => {
  it("delivers identify + track events, visible in the user's profile with correct properties", async () => {
    const amp = createInstance();
    await amp.init(keys.api_key, { serverUrl: `${worker.url}/2/httpapi`, flushIntervalMillis: 50, logLevel: 0 }).promise;
    const identify = new Identify().set("plan", "pro").setOnce("first_seen_campaign", "spring").add("logins", 2).append("tags", "vip");
    const results = await Promise.all([
      amp.identify(identify, { user_id: "sdk-user-1" }).promise,
      amp.track("Product Viewed", { product_id: "p-1" }, { user_id: "sdk-user-1" }).promise,
      amp.track("Order Completed", { revenue: 12.5 }, { user_id: "sdk-user-1", insert_id: "order-1" }).promise,
    ]);
    expect(results.map((r) => r.code)).toEqual([200, 200, 200]);

    const { profile, events } = await lookup("sdk-user-1");
    expect(profile.user_properties).toEqual({ plan: "pro", first_seen_campaign: "spring", logins: 2, tags: ["vip"] });
    expect(events.map((e) => e.event_type).sort()).toEqual(["$identify", "Order Completed", "Product Viewed"]);
  });

  it("re-sending the same insert_ids changes nothing", async () => {
    const amp = createInstance();
    await amp.init(keys.api_key, { serverUrl: `${worker.url}/2/httpapi`, flushIntervalMillis: 50, logLevel: 0 }).promise;
    const before = await lookup("sdk-user-1");
    const again = await Promise.all([
      amp.track("Order Completed", { revenue: 12.5 }, { user_id: "sdk-user-1", insert_id: "order-1" }).promise,
      amp.identify(new Identify().add("logins", 5), { user_id: "sdk-user-1", insert_id: before.events.find((e) => e.event_type === "$identify")!.insert_id })
        .promise,
    ]);
    expect(again.map((r) => r.code)).toEqual([200, 200]);
    const after = await lookup("sdk-user-1");
    expect(after.profile).toEqual(before.profile);
    expect(after.events).toEqual(before.events);
  });

  it("drops only the events Tailor names as invalid and delivers the rest", async () => {
    const amp = createInstance();
    await amp.init(keys.api_key, { serverUrl: `${worker.url}/2/httpapi`, flushIntervalMillis: 50, logLevel: 0 }).promise;
    const results = await Promise.all([
      amp.track("Good One", undefined, { user_id: "sdk-user-2" }).promise,
      amp.track("Bad Id", undefined, { user_id: "null" }).promise,
      amp.track("Good Two", undefined, { user_id: "sdk-user-2" }).promise,
    ]);
    expect(results.map((r) => r.code)).toEqual([200, 400, 200]);
    const { events } = await lookup("sdk-user-2");
    expect(events.map((e) => e.event_type).sort()).toEqual(["Good One", "Good Two"]);
  });
});
