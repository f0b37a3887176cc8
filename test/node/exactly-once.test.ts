import { createInstance } from "@amplitude/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import { PostHog } from "posthog-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";
import { FAULT_KINDS, startFaultProxy, type FaultProxy, type FaultProxyOptions } from "./fault-proxy";

// Each official SDK — Amplitude, Segment, RudderStack (gzip), PostHog — talks to one real
// the local server through its own faulty proxy (fault-proxy.ts) that answers 503 without
// forwarding, loses or withholds the answer after forwarding (the SDK cannot know the
// events were stored, and resends them), and delivers requests twice at once. The SDKs
// retry with their own logic, and their own event ids (Amplitude's `insert_id` is set
// here; the others generate theirs); every event must count exactly once.
const EVENTS = 300;
const USERS = 10;

let worker: LocalWorker;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  worker = await startLocalWorker();
});
afterAll(async () => {
  for (const proxy of proxies) proxy.close();
  await worker?.stop();
});

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { status, json } = await worker.admin<T>(method, path, body);
  if (status >= 300) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

/** A project with a `count` of Purchase events, and a faulty proxy of its own. */
async function setup(name: string, options: FaultProxyOptions = {}) {
  const { api_key } = await worker.createProject(name);
  const count = await admin<{ id: string }>("POST", `/projects/${name}/computations`, {
    name: "Purchases",
    definition: { event: { type: "Purchase" }, aggregate: "count" },
  });
  const proxy = await startFaultProxy(worker.url, options);
  proxies.push(proxy);
  return { apiKey: api_key, countId: count.id, proxy };
}

const userOf = (n: number) => `user-${n % USERS}`;

/**
 * Every fault happened; every event whose answer was lost was sent again; and each of
 * the EVENTS Purchases (`n` = 0…EVENTS-1) is in its user's profile exactly once — event
 * count, the `count` computed property, distinct ids and the `n`s all agree.
 */
async function expectExactlyOnce(project: string, setupResult: { countId: string; proxy: FaultProxy }) {
  const { countId, proxy } = setupResult;
  console.log(`${project} proxy: ${JSON.stringify(proxy.seen)}; events stored but unacknowledged: ${proxy.unacknowledged.size}`);
  for (const kind of FAULT_KINDS) expect(proxy.seen[kind], kind).toBeGreaterThan(0);
  expect(proxy.unacknowledged.size).toBeGreaterThan(0);
  const notResent = [...proxy.unacknowledged].filter((id) => (proxy.forwarded.get(id) ?? 0) < 2);
  expect(notResent, "events stored but unacknowledged that the SDK never sent again").toEqual([]);
  expect(proxy.forwarded.size).toBe(EVENTS);

  const perUser = EVENTS / USERS;
  let total = 0;
  for (let u = 0; u < USERS; u++) {
    const body = await admin<{
      profile: { event_count: number };
      segments: { computations: Record<string, unknown> };
      events: { insert_id: string; event_properties: { n?: number } }[];
    }>("GET", `/projects/${project}/users?user_id=user-${u}&events=1000`);
    expect(body.profile.event_count).toBe(perUser);
    expect(body.segments.computations[countId]).toBe(perUser);
    expect(new Set(body.events.map((e) => e.insert_id)).size).toBe(perUser);
    const ns = body.events.map((e) => e.event_properties.n).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(ns).toEqual(Array.from({ length: perUser }, (_, i) => i * USERS + u));
    total += body.profile.event_count;
  }
  expect(total).toBe(EVENTS);
}

describe("exactly once under retries", () => {
  it("@amplitude/analytics-node: timeouts, 5xx, lost answers and duplicate deliveries count once", async () => {
    // The SDK reads the body: a connection cut mid-answer is retried (one cut before any
    // byte is "never reached the server" and dropped, so the proxy cuts mid-body).
    const s = await setup("once-amplitude", { drop: "midBody" });
    const amp = createInstance();
    await amp.init(s.apiKey, {
      serverUrl: `${s.proxy.url}/2/httpapi`,
      flushIntervalMillis: 20,
      flushQueueSize: 10,
      flushMaxRetries: 100,
      requestTimeoutMillis: 1_000,
      logLevel: 0,
    }).promise;
    const results = await Promise.all(
      Array.from({ length: EVENTS }, (_, n) => amp.track("Purchase", { n }, { user_id: userOf(n), insert_id: `once-${n}` }).promise),
    );
    expect(results.filter((r) => r.code !== 200)).toEqual([]);
    await expectExactlyOnce("once-amplitude", s);
  }, 120_000);

  it("@segment/analytics-node (host): the same, with its own messageIds", async () => {
    // Retries 5xx, 408/410/429/460 and network errors (a timeout aborts the fetch) with
    // backoff 1–2 s, 2–4 s, 4–8 s…; it reads only the status, so a 200 whose body is cut
    // counts as delivered — the proxy cuts before any byte. Two faults at most per event
    // keep the run within ~15 s. The body (and `sentAt`) is rebuilt per attempt; the
    // messageIds are fixed when the event is created.
    const s = await setup("once-segment", { drop: "beforeResponse", maxFaultsPerEvent: 2 });
    const analytics = new SegmentAnalytics({
      writeKey: s.apiKey,
      host: s.proxy.url,
      flushAt: 10,
      flushInterval: 20,
      maxRetries: 10,
      httpRequestTimeout: 3_000,
    });
    const failures: unknown[] = [];
    const delivered = Array.from(
      { length: EVENTS },
      (_, n) =>
        new Promise<void>((resolve) =>
          analytics.track({ userId: userOf(n), event: "Purchase", properties: { n } }, (err) => resolve(void (err && failures.push(err)))),
        ),
    );
    await Promise.all(delivered);
    await analytics.closeAndFlush({ timeout: 60_000 });
    expect(failures).toEqual([]);
    await expectExactlyOnce("once-segment", s);
  }, 120_000);

  it("@rudderstack/rudder-sdk-node (dataPlaneUrl, gzip): the same, with its own messageIds", async () => {
    // axios-retry resends the same gzip Buffer (same messageIds) after 5xx, 429 and
    // network errors, waiting 200, 400, 800 ms… A timeout is retried only when axios
    // reports it as ETIMEDOUT (`clarifyTimeoutError`; the default ECONNABORTED is never
    // retried — see below) and each attempt gets the full timeout (`shouldResetTimeout`).
    const s = await setup("once-rudder", { drop: "beforeResponse", maxFaultsPerEvent: 3 });
    const failures: unknown[] = [];
    const rudder = new RudderAnalytics(s.apiKey, {
      dataPlaneUrl: s.proxy.url,
      flushAt: 10,
      flushInterval: 20,
      retryCount: 10,
      axiosConfig: { timeout: 3_000, transitional: { clarifyTimeoutError: true } },
      axiosRetryConfig: { shouldResetTimeout: true },
      errorHandler: (err: unknown) => void failures.push(err),
      logLevel: "none",
    });
    const delivered = Array.from(
      { length: EVENTS },
      (_, n) =>
        new Promise<void>((resolve) =>
          rudder.track({ userId: userOf(n), event: "Purchase", properties: { n } }, (...args: unknown[]) => resolve(void (args[0] && failures.push(args[0])))),
        ),
    );
    await Promise.all(delivered);
    expect(failures).toEqual([]);
    await expectExactlyOnce("once-rudder", s);
  }, 120_000);

  it("posthog-node (host): the same, with its own uuids", async () => {
    // Retries 408, 429, 5xx and network errors (its own deadline aborts a hung request)
    // `fetchRetryCount` times, `fetchRetryDelay` apart, resending the same gzip body; a
    // batch still failing on the network stays queued for the next flush. It reads only
    // the status, so the proxy cuts before any byte.
    const s = await setup("once-posthog", { drop: "beforeResponse", maxFaultsPerEvent: 3 });
    const ph = new PostHog(s.apiKey, {
      host: s.proxy.url,
      flushAt: 10,
      maxBatchSize: 10,
      flushInterval: 20,
      fetchRetryCount: 10,
      fetchRetryDelay: 100,
      requestTimeout: 3_000,
    });
    const failures: unknown[] = [];
    ph.on("error", (err) => failures.push(err));
    for (let n = 0; n < EVENTS; n++) ph.capture({ distinctId: userOf(n), event: "Purchase", properties: { n } });
    await ph.shutdown(60_000);
    expect(failures).toEqual([]);
    await expectExactlyOnce("once-posthog", s);
  }, 120_000);
});

describe("@rudderstack/rudder-sdk-node with only `timeout` set", () => {
  it("does not retry a timed-out request (axios ECONNABORTED): the event, already stored, is reported failed", async () => {
    const s = await setup("once-rudder-timeout", { first: ["hang"], faults: { unavailable: 0, dropResponse: 0, hang: 0, duplicate: 0 } });
    const errors: { code?: string }[] = [];
    const options = {
      dataPlaneUrl: s.proxy.url,
      flushAt: 1,
      retryCount: 10,
      timeout: 1_000,
      logLevel: "none",
      errorHandler: (err?: { code?: string }) => void errors.push(err ?? {}),
    };
    const rudder = new RudderAnalytics(s.apiKey, options);
    await new Promise<void>((resolve) => rudder.track({ userId: "user-0", event: "Purchase", properties: { n: 0 } }, () => resolve()));
    expect(errors.map((e) => e.code)).toEqual(["ECONNABORTED"]);
    expect(s.proxy.seen).toMatchObject({ requests: 1, hang: 1 });
    const body = await admin<{ profile: { event_count: number } }>("GET", "/projects/once-rudder-timeout/users?user_id=user-0");
    expect(body.profile.event_count).toBe(1);
  }, 30_000);
});
