import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// Browser SDKs, unchanged except their host setting, on a page of a local test origin in
// Debian's Chromium: what they send must land in the visitor's profile.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";
const require = createRequire(import.meta.url);

let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };
let site: Server;
let siteUrl: string;
let context: BrowserContext;
let page: Page;
let profileDir: string;

/** The test origin: one page per SDK, and the SDK's own browser bundle from node_modules (nothing is fetched from the internet). */
const pages: Record<string, () => string> = { "/blank": () => "<!doctype html><title>blank</title>" };

/** What Tailor's personalization client (served by the Worker) finds as the visitor on the current page. */
async function clientSees(): Promise<{ userId?: string; deviceId?: string }> {
  await page.addScriptTag({ url: `${worker.url}/v1/tailor.js` });
  return page.evaluate(
    (key) => (globalThis as unknown as { tailor: { findVisitor: (k: string) => { userId?: string; deviceId?: string } } }).tailor.findVisitor(key),
    keys.api_key,
  );
}
const scripts: Record<string, string> = {
  "/posthog.js": require.resolve("posthog-js/dist/array.full.no-external.js"),
  "/amplitude.js": join(dirname(require.resolve("@amplitude/analytics-browser/package.json")), "lib/scripts/amplitude-min.js"),
};

type Lookup = {
  profile: { user_id: string | null; device_ids: string[]; user_properties: Record<string, unknown> };
  events: { event_type: string; event_properties: Record<string, unknown> }[];
};

/** The profile as the admin lookup shows it, once it holds every expected event type (SDKs send asynchronously). */
async function profileWith(query: string, types: string[]): Promise<Lookup> {
  let last: Lookup | undefined;
  for (let i = 0; i < 60; i++) {
    const res = await worker.admin("GET", `/projects/browser/users?${query}&events=50`);
    if (res.status === 200) {
      last = res.json as Lookup;
      if (types.every((t) => last!.events.some((e) => e.event_type === t))) return last;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const devices = await Promise.all(
    (last?.profile.device_ids ?? []).map(
      async (d) => `${d}: ${JSON.stringify((await worker.admin("GET", `/projects/browser/users?device_id=${d}&events=50`)).json).slice(0, 600)}`,
    ),
  );
  throw new Error(
    `${query}: expected ${types.join(", ")}, have ${last?.events.map((e) => e.event_type).join(", ") ?? "no profile"}; devices ${devices.join(" | ")}`,
  );
}

describe.skipIf(!haveChromium && !inCi)("browser SDKs in Chromium", () => {
  beforeAll(async () => {
    if (!haveChromium)
      throw new Error(`Chromium is required for the browser SDK tests but is not at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
    worker = await startLocalWorker();
    keys = await worker.createProject("browser");
    site = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      if (scripts[path] !== undefined) return res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(scripts[path]!));
      const html = pages[path]?.();
      if (html === undefined) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/html" }).end(html);
    });
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", () => r()));
    const address = site.address();
    siteUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    profileDir = mkdtempSync(join(tmpdir(), "tailor-chromium-sdk-"));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    // analytics-next ships as modules: bundled here for the page (esbuild, from node_modules).
    const out = join(profileDir, "segment.js");
    await build({
      stdin: { contents: 'export { AnalyticsBrowser } from "@segment/analytics-next";', resolveDir: process.cwd() },
      bundle: true,
      format: "iife",
      globalName: "SegmentAnalytics",
      outfile: out,
      logLevel: "silent",
    });
    scripts["/segment.js"] = out;
    // RudderStack's v3 SDK with its plugins bundled (the default build loads them from RudderStack's CDN).
    const rudder = join(profileDir, "rudder.js");
    await build({
      stdin: { contents: 'export { RudderAnalytics } from "@rudderstack/analytics-js/bundled";', resolveDir: process.cwd() },
      bundle: true,
      format: "iife",
      globalName: "Rudder",
      outfile: rudder,
      logLevel: "silent",
    });
    scripts["/rudder.js"] = rudder;
  });
  // Each SDK starts from an empty browser: the client must find the visitor in that SDK's own storage.
  beforeEach(async () => {
    await context.clearCookies();
    await page.goto(`${siteUrl}/blank`);
    await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: { clear(): void }; sessionStorage: { clear(): void } };
      g.localStorage.clear();
      g.sessionStorage.clear();
    });
  });
  afterAll(async () => {
    await context?.close();
    await worker?.stop();
    site?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it("@amplitude/analytics-browser: a page view and a track as an anonymous device, then the user: one profile, the device linked", async () => {
    pages["/amplitude"] = () => `<!doctype html><html><body><script src="/amplitude.js"></script><script>
      (async () => {
        amplitude.init(${JSON.stringify(keys.api_key)}, { serverUrl: ${JSON.stringify(`${worker.url}/2/httpapi`)}, flushIntervalMillis: 50, defaultTracking: { pageViews: true, sessions: false, formInteractions: false, fileDownloads: false, attribution: false } });
        amplitude.track("Product Viewed", { product_id: "p-1" });
        await amplitude.flush().promise;
        amplitude.setUserId("amp-browser-user");
        const id = new amplitude.Identify().set("plan", "pro");
        amplitude.identify(id);
        amplitude.track("Order Completed", { revenue: 12.5 });
        await amplitude.flush().promise;
        window.__done = true;
      })();
    </script></body></html>`;
    await page.goto(`${siteUrl}/amplitude`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    const { profile, events } = await profileWith("user_id=amp-browser-user", ["[Amplitude] Page Viewed", "Product Viewed", "Order Completed"]);
    expect(events.find((e) => e.event_type === "Order Completed")!.event_properties.revenue).toBe(12.5);
    expect(profile.user_properties.plan).toBe("pro");
    expect(profile.device_ids.length).toBe(1);
    expect(await clientSees()).toEqual({ userId: "amp-browser-user", deviceId: profile.device_ids[0] });
  });

  it("@segment/analytics-next: page, track, identify and track again, with no settings fetched from Segment's CDN", async () => {
    const apiHost = `${new URL(worker.url).host}/v1`;
    pages["/segment"] = () => `<!doctype html><html><body><script src="/segment.js"></script><script>
      (async () => {
        const settings = { integrations: { "Segment.io": { apiKey: ${JSON.stringify(keys.api_key)}, apiHost: ${JSON.stringify(apiHost)}, protocol: "http" } } };
        const [analytics] = await SegmentAnalytics.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(keys.api_key)}, cdnSettings: settings });
        await analytics.page();
        await analytics.track("Product Viewed", { product_id: "p-2" });
        await analytics.identify("seg-browser-user", { plan: "team" });
        await analytics.track("Order Completed", { revenue: 7 });
        window.__done = true;
      })().catch((e) => { window.__error = String(e); });
    </script></body></html>`;
    const outbound: string[] = [];
    page.on("request", (r) => outbound.push(r.url()));
    await page.goto(`${siteUrl}/segment`);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __done?: boolean; __error?: string }).__done === true ||
        (globalThis as unknown as { __error?: string }).__error !== undefined,
    );
    expect(await page.evaluate(() => (globalThis as unknown as { __error?: string }).__error)).toBeUndefined();
    const { profile, events } = await profileWith("user_id=seg-browser-user", ["Product Viewed", "Order Completed"]);
    expect(events.find((e) => e.event_type === "Order Completed")!.event_properties.revenue).toBe(7);
    expect(profile.user_properties.plan).toBe("team");
    expect(profile.device_ids.length).toBe(1);
    expect(await clientSees()).toEqual({ userId: "seg-browser-user", deviceId: profile.device_ids[0] });
    expect(outbound.filter((u) => !u.startsWith(siteUrl) && !u.startsWith(worker.url))).toEqual([]);
  });

  it("@rudderstack/analytics-js: page, track, identify reach one profile, with its source config given (nothing fetched from RudderStack)", async () => {
    pages["/rudder"] = () => `<!doctype html><html><body><script src="/rudder.js"></script><script>
      const rudder = new Rudder.RudderAnalytics();
      rudder.load(${JSON.stringify(keys.api_key)}, ${JSON.stringify(worker.url)}, {
        getSourceConfig: () => ({ source: { id: "tailor-test", name: "test", workspaceId: "w", enabled: true, config: {}, destinations: [] } }),
        plugins: ["StorageEncryption"], loadIntegration: false, queueOptions: { batch: { enabled: false } },
        onLoaded: () => {
          rudder.page();
          rudder.track("Product Viewed", { product_id: "p-3" });
          rudder.identify("rudder-browser-user", { plan: "solo" });
          rudder.track("Order Completed", { revenue: 9 });
          window.__done = true;
        },
      });
    </script></body></html>`;
    const outbound: string[] = [];
    page.on("request", (r) => outbound.push(r.url()));
    await page.goto(`${siteUrl}/rudder`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    const { profile, events } = await profileWith("user_id=rudder-browser-user", ["Product Viewed", "Order Completed"]);
    expect(events.find((e) => e.event_type === "Order Completed")!.event_properties.revenue).toBe(9);
    expect(profile.user_properties.plan).toBe("solo");
    expect(profile.device_ids.length).toBe(1);
    const storage = await page.evaluate(() => JSON.stringify((globalThis as unknown as { localStorage: Record<string, string> }).localStorage));
    expect(await clientSees(), storage).toEqual({ userId: "rudder-browser-user", deviceId: profile.device_ids[0] });
    expect(outbound.filter((u) => !u.startsWith(siteUrl) && !u.startsWith(worker.url))).toEqual([]);
  });

  it("@amplitude/analytics-browser with its beacon transport (sendBeacon on page exit, text/plain): the events are stored", async () => {
    pages["/amplitude-beacon"] = () => `<!doctype html><html><body><script src="/amplitude.js"></script><script>
      amplitude.init(${JSON.stringify(keys.api_key)}, "amp-beacon-user", { serverUrl: ${JSON.stringify(`${worker.url}/2/httpapi`)}, transport: "beacon", flushIntervalMillis: 50, defaultTracking: false });
      amplitude.track("Left Page", { reason: "beacon" });
      amplitude.flush().promise.then(() => { window.__done = true; });
    </script></body></html>`;
    const beacons: string[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(worker.url) && r.method() === "POST") beacons.push(r.headers()["content-type"] ?? "");
    });
    await page.goto(`${siteUrl}/amplitude-beacon`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    const { events } = await profileWith("user_id=amp-beacon-user", ["Left Page"]);
    expect(events.find((e) => e.event_type === "Left Page")!.event_properties.reason).toBe("beacon");
    expect(beacons.some((t) => t.startsWith("text/plain"))).toBe(true);
  });

  it("posthog-js: gzip captures (text/plain, no hint), a page view, a track and identify reach the visitor's profile", async () => {
    pages["/posthog"] = () => `<!doctype html><html><body><script src="/posthog.js"></script><script>
      posthog.init(${JSON.stringify(keys.api_key)}, {
        api_host: ${JSON.stringify(worker.url)},
        // A headless browser is filtered out as a bot unless told otherwise: configure the SDK, never Tailor.
        opt_out_useragent_filter: true,
        advanced_disable_flags: true, advanced_disable_decide: true, disable_surveys: true, disable_session_recording: true,
        disable_external_dependency_loading: true, autocapture: false, capture_pageview: true, request_batching: false,
        persistence: "localStorage",
        loaded: (ph) => {
          ph.capture("Signed Up", { plan: "pro" });
          ph.identify("ph-browser-user", { email: "ada@example.com" });
          ph.capture("Order Completed", { revenue: 42 });
          window.__done = true;
        },
      });
    </script></body></html>`;
    const bodies: { type: string | null; encoding: string | null; url: string }[] = [];
    page.on("request", (r) => {
      if (r.url().startsWith(worker.url) && r.method() === "POST")
        bodies.push({ type: r.headers()["content-type"] ?? null, encoding: r.headers()["content-encoding"] ?? null, url: r.url() });
    });
    await page.goto(`${siteUrl}/posthog`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    const { profile, events } = await profileWith("user_id=ph-browser-user", ["$pageview", "Signed Up", "$identify", "Order Completed"]);
    expect(events.find((e) => e.event_type === "Order Completed")!.event_properties.revenue).toBe(42);
    expect(profile.user_properties.email).toBe("ada@example.com");
    // The anonymous id the SDK started with is linked to the user.
    expect(profile.device_ids.length).toBeGreaterThan(0);
    expect((await clientSees()).userId).toBe("ph-browser-user");
    // What made this a regression test: gzip posted as text/plain with no compression hint.
    expect(bodies.some((b) => b.type?.startsWith("text/plain") && b.encoding === null && !b.url.includes("compression="))).toBe(true);
  });

  /** Stores the first batch for real, then answers the browser 503 as if the answer were lost: the SDK must resend it. */
  const loseFirstAnswer = async (path: string) => {
    let lost = 0;
    let posts = 0;
    await page.route(`${worker.url}${path}*`, async (route) => {
      if (route.request().method() === "POST") posts++;
      if (route.request().method() !== "POST" || lost > 0) return route.continue();
      lost++;
      const stored = await route.fetch();
      expect(stored.status()).toBe(200);
      await route.fulfill({ response: stored, status: 503, body: JSON.stringify({ code: 503, error: "Service temporarily unavailable" }) });
    });
    return () => ({ lost, posts });
  };
  const once = (events: { event_type: string }[], types: string[]) => types.map((t) => events.filter((e) => e.event_type === t).length);

  it("retries: Amplitude's and PostHog's SDKs resend a batch whose answer was lost after Tailor stored it (a 503 in its place) — every event once", async () => {
    const ampLost = await loseFirstAnswer("/2/httpapi");
    pages["/amplitude-retry"] = () => `<!doctype html><html><body><script src="/amplitude.js"></script><script>
      amplitude.init(${JSON.stringify(keys.api_key)}, "amp-retry-user", { serverUrl: ${JSON.stringify(`${worker.url}/2/httpapi`)}, flushIntervalMillis: 50, defaultTracking: false });
      amplitude.track("Product Viewed", { product_id: "p-9" });
      amplitude.track("Order Completed", { revenue: 9 });
      amplitude.flush().promise.then(() => (window.__done = true));
    </script></body></html>`;
    await page.goto(`${siteUrl}/amplitude-retry`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true, undefined, { timeout: 30_000 });
    const amp = await profileWith("user_id=amp-retry-user", ["Product Viewed", "Order Completed"]);
    // The first post stored both events; the resend follows on the SDK's own backoff, maybe after its flush resolved.
    for (const deadline = Date.now() + 15_000; ampLost().posts < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(ampLost()).toEqual({ lost: 1, posts: 2 }); // the batch, and its resend
    expect(once(amp.events, ["Product Viewed", "Order Completed"])).toEqual([1, 1]);
    const afterResend = await profileWith("user_id=amp-retry-user", ["Product Viewed", "Order Completed"]);
    expect(once(afterResend.events, ["Product Viewed", "Order Completed"])).toEqual([1, 1]);
    await page.unrouteAll();

    const phLost = await loseFirstAnswer("/e/");
    pages["/posthog-retry"] = () => `<!doctype html><html><body><script src="/posthog.js"></script><script>
      posthog.init(${JSON.stringify(keys.api_key)}, {
        api_host: ${JSON.stringify(worker.url)}, opt_out_useragent_filter: true,
        advanced_disable_flags: true, advanced_disable_decide: true, disable_surveys: true, disable_session_recording: true,
        disable_external_dependency_loading: true, autocapture: false, capture_pageview: false, request_batching: false, persistence: "localStorage",
        loaded: (ph) => { ph.identify("ph-retry-user"); ph.capture("Checkout Started", { step: 1 }); window.__done = true; },
      });
    </script></body></html>`;
    await page.goto(`${siteUrl}/posthog-retry`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    const ph = await profileWith("user_id=ph-retry-user", ["$identify", "Checkout Started"]);
    // The resend comes after the SDK's own backoff (its retry queue): one request per event, plus the resend.
    for (let i = 0; i < 40 && phLost().posts < 3; i++) await new Promise((r) => setTimeout(r, 250));
    expect(phLost()).toEqual({ lost: 1, posts: 3 });
    const again = await profileWith("user_id=ph-retry-user", ["$identify", "Checkout Started"]);
    expect(once(again.events, ["$identify", "Checkout Started"])).toEqual([1, 1]);
    expect(ph.events.length).toBeLessThanOrEqual(again.events.length);
    await page.unrouteAll();
  }, 60_000);

  it("retries: Segment's and RudderStack's SDKs resend a call whose answer was lost after Tailor stored it — every event once", async () => {
    const apiHost = `${new URL(worker.url).host}/v1`;
    const segLost = await loseFirstAnswer("/v1/");
    pages["/segment-retry"] = () => `<!doctype html><html><body><script src="/segment.js"></script><script>
      (async () => {
        const settings = { integrations: { "Segment.io": { apiKey: ${JSON.stringify(keys.api_key)}, apiHost: ${JSON.stringify(apiHost)}, protocol: "http" } } };
        const [analytics] = await SegmentAnalytics.AnalyticsBrowser.load({ writeKey: ${JSON.stringify(keys.api_key)}, cdnSettings: settings });
        await analytics.track("Wishlist Added", { product_id: "p-5" });
        await analytics.identify("seg-retry-user");
        window.__done = true;
      })().catch((e) => { window.__error = String(e); });
    </script></body></html>`;
    await page.goto(`${siteUrl}/segment-retry`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true, undefined, { timeout: 30_000 });
    for (let i = 0; i < 60 && segLost().posts < 3; i++) await new Promise((r) => setTimeout(r, 250));
    expect(segLost()).toEqual({ lost: 1, posts: 3 }); // track, identify, and the track's resend
    const seg = await profileWith("user_id=seg-retry-user", ["Wishlist Added"]);
    expect(once(seg.events, ["Wishlist Added"])).toEqual([1]);
    await page.unrouteAll();

    const rlLost = await loseFirstAnswer("/v1/");
    pages["/rudder-retry"] = () => `<!doctype html><html><body><script src="/rudder.js"></script><script>
      const rudder = new Rudder.RudderAnalytics();
      rudder.load(${JSON.stringify(keys.api_key)}, ${JSON.stringify(worker.url)}, {
        getSourceConfig: () => ({ source: { id: "tailor-test", name: "test", workspaceId: "w", enabled: true, config: {}, destinations: [] } }),
        plugins: ["StorageEncryption"], loadIntegration: false, queueOptions: { batch: { enabled: false } },
        onLoaded: () => { rudder.track("Coupon Applied", { code: "A1" }); rudder.identify("rudder-retry-user"); window.__done = true; },
      });
    </script></body></html>`;
    await page.goto(`${siteUrl}/rudder-retry`);
    await page.waitForFunction(() => (globalThis as unknown as { __done?: boolean }).__done === true);
    for (let i = 0; i < 80 && rlLost().posts < 3; i++) await new Promise((r) => setTimeout(r, 250));
    expect(rlLost()).toEqual({ lost: 1, posts: 3 }); // track, identify, and the track's resend
    const rl = await profileWith("user_id=rudder-retry-user", ["Coupon Applied"]);
    expect(once(rl.events, ["Coupon Applied"])).toEqual([1]);
    await page.unrouteAll();
  }, 60_000);

  it("Tailor's client: under 5 kB gzipped; finds the visitor, reads its personalization, revalidates with the ETag (304s keep their CORS headers), and calls again with exposure=true when shown", async () => {
    const script = await (await fetch(`${worker.url}/v1/tailor.js`)).text();
    const module = await (await fetch(`${worker.url}/v1/tailor.mjs`)).text();
    expect(gzipSync(script).length).toBeLessThan(5_000);
    expect(module).toContain("export function create");
    const cohort = await worker.admin("POST", "/projects/browser/cohorts", {
      name: "Buyers",
      definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" } } } },
    });
    const cohortId = (cohort.json as { id: string }).id;
    expect((await worker.admin("PUT", "/projects/browser/settings", { personalize: { cohorts: [cohortId], origins: [siteUrl] } })).status).toBe(200);
    await fetch(`${worker.url}/2/httpapi`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ api_key: keys.api_key, events: [{ user_id: "client-user", device_id: "client-device", event_type: "Order Completed" }] }),
    });
    await new Promise((r) => setTimeout(r, 11_000)); // the settings and the definitions reach every isolate (cached up to 10 s)
    const probe = await fetch(`${worker.url}/v1/personalize?api_key=${keys.api_key}&user_id=client-user&exposure=false`, { headers: { origin: siteUrl } });
    expect(probe.status, await probe.clone().text()).toBe(200);
    expect(probe.headers.get("access-control-expose-headers")).toBe("ETag");
    const statuses: number[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/v1/personalize")) statuses.push(r.status());
    });
    await page.goto(`${siteUrl}/blank`);
    await page.addScriptTag({ url: `${worker.url}/v1/tailor.js` });
    const seen = await page.evaluate(
      async ({ key, host, cohortId }) => {
        const t = (
          globalThis as unknown as {
            tailor: { create: (o: object) => { personalize: () => Promise<unknown>; shown: () => Promise<unknown>; inCohort: (id: string) => boolean } };
          }
        ).tailor.create({ apiKey: key, host, userId: "client-user" });
        await t.personalize();
        await t.personalize();
        await t.shown();
        return t.inCohort(cohortId);
      },
      { key: keys.api_key, host: worker.url, cohortId },
    );
    expect(seen).toBe(true);
    // The second read was answered 304 from the kept ETag; the third (shown) too, and it still counts as shown.
    expect(statuses).toEqual([200, 304, 304]);
  });
});
