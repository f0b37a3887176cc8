import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import { PostHog } from "posthog-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// The official Segment, RudderStack and PostHog Node SDKs, configured only with their
// host setting (Segment `host`, RudderStack `dataPlaneUrl`, PostHog `host`), against the
// real local server. Each reads the profile back through the admin API. Retries are
// off here so a failure shows at once; exactly-once.test.ts runs the same SDKs with
// their retries on through a faulty proxy.
let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };

beforeAll(async () => {
  worker = await startLocalWorker();
  keys = await worker.createProject("sdks");
});
afterAll(async () => {
  await worker?.stop();
});

interface Lookup {
  profile: { user_id: string | null; device_id: string | null; device_ids?: string[]; user_properties: Record<string, unknown>; event_count: number };
  events: { event_type: string; insert_id?: string; user_id?: string; device_id?: string; event_properties: Record<string, unknown> }[];
}

async function lookup(by: "user_id" | "device_id", id: string): Promise<Lookup> {
  const res = await fetch(`${worker.url}/admin/api/projects/sdks/users?${by}=${encodeURIComponent(id)}&events=100`, {
    headers: { authorization: `Bearer ${worker.adminToken}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Lookup;
}

const types = (l: Lookup) => l.events.map((e) => e.event_type).sort();

describe("@segment/analytics-node against Tailor", () => {
  const client = () => {
    const errors: unknown[] = [];
    const analytics = new SegmentAnalytics({ writeKey: keys.api_key, host: worker.url, flushInterval: 50, maxRetries: 0 });
    analytics.on("error", (err) => errors.push(err));
    return { analytics, errors };
  };

  it("track, identify, page and alias: events, traits and the anonymous history linked to the user", async () => {
    const { analytics, errors } = client();
    analytics.track({ anonymousId: "seg-sdk-anon-1", event: "Product Viewed", properties: { product_id: "p-1" } });
    analytics.page({ anonymousId: "seg-sdk-anon-1", name: "Pricing" });
    await analytics.closeAndFlush();
    const second = client();
    second.analytics.alias({ userId: "seg-sdk-user-1", previousId: "seg-sdk-anon-1" });
    second.analytics.identify({ userId: "seg-sdk-user-1", traits: { plan: "pro", seats: 3 } });
    second.analytics.track({ userId: "seg-sdk-user-1", event: "Order Completed", properties: { revenue: 12.5 }, messageId: "seg-sdk-order-1" });
    await second.analytics.closeAndFlush();
    expect([...errors, ...second.errors]).toEqual([]);

    const user = await lookup("user_id", "seg-sdk-user-1");
    expect(user.profile.user_properties).toEqual({ plan: "pro", seats: 3 });
    expect(types(user)).toEqual(["$alias", "$identify", "Loaded a Page", "Order Completed", "Product Viewed"]);
    expect((await lookup("device_id", "seg-sdk-anon-1")).profile.user_id).toBe("seg-sdk-user-1");
  });

  it("the same messageId sent twice is counted once", async () => {
    const { analytics, errors } = client();
    analytics.track({ userId: "seg-sdk-user-1", event: "Order Completed", properties: { revenue: 12.5 }, messageId: "seg-sdk-order-1" });
    analytics.track({ userId: "seg-sdk-user-1", event: "Order Completed", properties: { revenue: 12.5 }, messageId: "seg-sdk-order-1" });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);
    const user = await lookup("user_id", "seg-sdk-user-1");
    expect(user.events.filter((e) => e.event_type === "Order Completed")).toHaveLength(1);
  });
});

describe("@rudderstack/rudder-sdk-node against Tailor (gzip bodies)", () => {
  const client = () => new RudderAnalytics(keys.api_key, { dataPlaneUrl: worker.url, flushAt: 100, flushInterval: 60_000, retryCount: 0, logLevel: "error" });

  it("track, identify, page and alias: events, traits, linking and messageId dedupe", async () => {
    const rudder = client();
    rudder.track({ anonymousId: "rs-sdk-anon-1", event: "Product Viewed", properties: { product_id: "p-2" } });
    rudder.page({ anonymousId: "rs-sdk-anon-1", name: "Home" });
    await rudder.flush();
    rudder.alias({ userId: "rs-sdk-user-1", previousId: "rs-sdk-anon-1" });
    rudder.identify({ userId: "rs-sdk-user-1", traits: { plan: "basic" } });
    const order = { userId: "rs-sdk-user-1", event: "Order Completed", properties: { revenue: 5 }, messageId: "rs-sdk-order-1" };
    rudder.track(order);
    rudder.track({ ...order });
    await rudder.flush();

    const user = await lookup("user_id", "rs-sdk-user-1");
    expect(user.profile.user_properties).toEqual({ plan: "basic" });
    expect(types(user)).toEqual(["$alias", "$identify", "Loaded a Page", "Order Completed", "Product Viewed"]);
    expect((await lookup("device_id", "rs-sdk-anon-1")).profile.user_id).toBe("rs-sdk-user-1");
  });

  it("an unknown write key is a 401 the SDK reports", async () => {
    const errors: { response?: { status: number } }[] = [];
    const options = {
      dataPlaneUrl: worker.url,
      flushAt: 100,
      flushInterval: 60_000,
      retryCount: 0,
      logLevel: "none",
      errorHandler: (err?: { response?: { status: number } }) => void errors.push(err ?? {}),
    };
    const rudder = new RudderAnalytics("not-a-key", options);
    rudder.track({ userId: "rs-sdk-user-2", event: "A" });
    await rudder.flush();
    expect(errors.map((e) => e.response?.status)).toEqual([401]);
  });
});

describe("posthog-node against Tailor", () => {
  const client = () => new PostHog(keys.api_key, { host: worker.url, flushAt: 100, flushInterval: 0, fetchRetryCount: 0 });

  it("capture, identify ($set, $set_once, $anon_distinct_id) and alias, with uuid dedupe", async () => {
    const ph = client();
    ph.capture({ distinctId: "ph-sdk-anon-1", event: "$pageview", properties: { $process_person_profile: false, $current_url: "/" } });
    ph.capture({ distinctId: "ph-sdk-user-1", event: "Order Completed", properties: { revenue: 9 }, uuid: "0196a000-0000-7000-8000-000000000001" });
    ph.capture({ distinctId: "ph-sdk-user-1", event: "Order Completed", properties: { revenue: 9 }, uuid: "0196a000-0000-7000-8000-000000000001" });
    ph.identify({ distinctId: "ph-sdk-user-1", properties: { $set: { plan: "pro" }, $set_once: { first_plan: "free" }, $anon_distinct_id: "ph-sdk-anon-1" } });
    ph.capture({ distinctId: "ph-sdk-anon-2", event: "Signed Up", properties: { $process_person_profile: false } });
    ph.alias({ distinctId: "ph-sdk-user-1", alias: "ph-sdk-anon-2" });
    await ph.shutdown();

    const user = await lookup("user_id", "ph-sdk-user-1");
    expect(user.profile.user_properties).toEqual({ plan: "pro", first_plan: "free" });
    expect(types(user)).toEqual(["$create_alias", "$identify", "$pageview", "Order Completed", "Signed Up"]);
    expect((await lookup("device_id", "ph-sdk-anon-1")).profile.user_id).toBe("ph-sdk-user-1");
    expect((await lookup("device_id", "ph-sdk-anon-2")).profile.user_id).toBe("ph-sdk-user-1");
  });

  it("$set_once does not overwrite; a later $set does", async () => {
    const ph = client();
    ph.identify({ distinctId: "ph-sdk-user-1", properties: { $set: { plan: "team" }, $set_once: { first_plan: "ignored" } } });
    await ph.shutdown();
    expect((await lookup("user_id", "ph-sdk-user-1")).profile.user_properties).toEqual({ plan: "team", first_plan: "free" });
  });
});
