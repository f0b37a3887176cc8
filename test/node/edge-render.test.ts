import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";
import { profileKey } from "../../src/core/event";
import { inControl } from "../../src/core/recommendations/select";
import { recommenderOnnx } from "../../src/train/onnx/recommender";

// Personalization rendered at the edge, on the real local server in front of a real
// origin (a Node server): the visitor is found in the page SDK's cookie, the marked
// elements of the page are filled while it streams through, so the content is in the
// first HTML; everything else passes through unchanged.
let origin: Server;
let originUrl: string;
let worker: LocalWorker;
let apiKey: string;
const ids = { rec: "", cohort: "", computation: "" };
const posted: string[] = [];

const page = () => `<!doctype html><html><head><title>Shop</title></head><body>
<h1>Product 1</h1>
<ul id="recs" data-tailor-recommendations="${ids.rec}" data-tailor-template='<li class="item" data-rank="{{rank}}">{{item}}</li>' data-tailor-limit="3"><li>Our bestsellers</li></ul>
<div id="members" data-tailor-cohort="${ids.cohort}">Welcome back, regular</div>
<div id="others" data-tailor-not-cohort="${ids.cohort}">First order? 10% off</div>
<p>Spent so far: <span id="spent" data-tailor-value="${ids.computation}">–</span></p>
</body></html>`;

beforeAll(async () => {
  origin = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.url === "/product/1")
        res
          .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=600", "set-cookie": "cart=abc; Path=/" })
          .end(page());
      else if (req.url === "/style.css") res.writeHead(200, { "content-type": "text/css", "cache-control": "public, max-age=600" }).end("body{color:#123}");
      else if (req.url === "/form" && req.method === "POST") {
        posted.push(body);
        res.writeHead(303, { location: "/thanks" }).end();
      } else res.writeHead(404, { "content-type": "text/html" }).end("<p>no such page</p>");
    });
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", () => r()));
  const address = origin.address();
  originUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  worker = await startLocalWorker({ vars: { EDGE_ORIGIN: originUrl, EDGE_PROJECT: "edge" } });
  ({ api_key: apiKey } = await worker.createProject("edge"));
  const admin = async <T>(method: string, path: string, body?: unknown) => {
    const res = await worker.admin<T>(method, `/projects/edge${path}`, body);
    expect(res.status, JSON.stringify(res.json)).toBeLessThan(300);
    return res.json;
  };
  ids.computation = (
    await admin<{ id: string }>("POST", "/computations", {
      name: "Spent",
      definition: { event: { type: "Order Completed" }, aggregate: "sum", property: "revenue" },
    })
  ).id;
  ids.cohort = (
    await admin<{ id: string }>("POST", "/cohorts", {
      name: "Regulars",
      definition: { type: "behavioral", match: { performed: { event: { type: "Order Completed" }, op: ">=", value: 2 } } },
    })
  ).id;
  ids.rec = (
    await admin<{ id: string }>("POST", "/recommendations", {
      name: "Next products",
      definition: {
        item: { event: { type: "Product Viewed" }, property: "product_id" },
        count: 10,
        exclude: { interacted: false, converted: false },
        control: { percent: 0, strategy: "popular" },
        fallback: "popular",
      },
    })
  ).id;
  // A tiny model published as the trainer does: p-d is the most popular item.
  const items = ["p-a", "p-b", "p-c", "p-d"].map((id) => ({ id, props: {} }));
  const bytes = recommenderOnnx({ embeddings: [1, 0, 0.9, 0, 0, 1, 0, 0.9], rank: 2, bias: [0, 0, 0, 0] });
  await admin("POST", "/models", {
    owner_kind: "recommendation",
    owner_id: ids.rec,
    model: Buffer.from(bytes).toString("base64"),
    metadata: { items, popular: [3, 2, 1, 0], metrics: {} },
  });
  await admin("PUT", "/settings", { personalize: { cohorts: [ids.cohort], computations: [ids.computation], recommendations: [ids.rec], origins: [] } });
  const events = [
    { user_id: "shopper", device_id: "dev-shopper", event_type: "Product Viewed", event_properties: { product_id: "p-a" }, insert_id: "e1" },
    { user_id: "shopper", device_id: "dev-shopper", event_type: "Order Completed", event_properties: { revenue: 20 }, insert_id: "e2" },
    { user_id: "shopper", device_id: "dev-shopper", event_type: "Order Completed", event_properties: { revenue: 22.5 }, insert_id: "e3" },
  ];
  const res = await fetch(`${worker.url}/2/httpapi`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ api_key: apiKey, events }),
  });
  expect(res.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  origin?.close();
});

/** Amplitude Browser SDK 2's cookie for this project's key. */
const ampCookie = (state: object) =>
  `AMP_${apiKey.slice(0, 10)}=${encodeURIComponent(Buffer.from(encodeURIComponent(JSON.stringify(state))).toString("base64"))}`;
const get = (path: string, cookie?: string) =>
  fetch(`${worker.url}${path}`, { headers: { accept: "text/html,application/xhtml+xml", ...(cookie ? { cookie } : {}) }, redirect: "manual" });
const text = (html: string, id: string) => new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1];

describe("a site's pages rendered at the edge", () => {
  it("fills the visitor's recommendations, cohort content and values into the first HTML, and never lets a shared cache keep it", async () => {
    expect(inControl(ids.rec, profileKey({ kind: "user", id: "shopper" }), 0)).toBe(false);
    const res = await get("/product/1", `theme=dark; ${ampCookie({ deviceId: "dev-shopper", userId: "shopper" })}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(/<ul id="recs".*data-tailor-source="(\w+)"/.exec(html)?.[1], html).toBe("model");
    const listed = [...html.matchAll(/<li class="item" data-rank="(\d)">([^<]+)<\/li>/g)].map((m) => [m[1], m[2]]);
    expect(listed.map(([rank]) => rank)).toEqual(["1", "2", "3"]); // data-tailor-limit
    expect(new Set(listed.map(([, item]) => item)).size).toBe(3);
    expect(html).not.toContain("Our bestsellers");
    expect(text(html, "members")).toBe("Welcome back, regular");
    expect(html).not.toContain('id="others"');
    expect(text(html, "spent")).toBe("42.5");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("vary")).toMatch(/cookie/i);
    expect(res.headers.get("set-cookie")).toContain("cart=abc"); // the origin's own headers pass
  });

  it("an anonymous visitor gets the popular items and the content for everyone else; a visitor found by Segment's cookie is the same profile", async () => {
    const html = await (await get("/product/1")).text();
    expect(/<ul id="recs".*data-tailor-source="(\w+)"/.exec(html)?.[1], html).toBe("popular_fallback");
    expect([...html.matchAll(/<li class="item" data-rank="\d">([^<]+)<\/li>/g)].map((m) => m[1])).toEqual(["p-d", "p-c", "p-b"]);
    expect(html).not.toContain('id="members"');
    expect(text(html, "others")).toBe("First order? 10% off");
    expect(text(html, "spent")).toBe("–");
    const segment = await (await get("/product/1", `ajs_user_id=${encodeURIComponent('"shopper"')}`)).text();
    expect(text(segment, "members")).toBe("Welcome back, regular");
  });

  it("what is not a page passes through unchanged: assets, form posts, redirects, the origin's 404s; Tailor's own routes stay Tailor's", async () => {
    const css = await get("/style.css");
    expect(css.headers.get("content-type")).toBe("text/css");
    expect(css.headers.get("cache-control")).toBe("public, max-age=600");
    expect(await css.text()).toBe("body{color:#123}");
    const form = await fetch(`${worker.url}/form`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "email=a%40b.example",
      redirect: "manual",
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toBe("/thanks");
    expect(posted).toContain("email=a%40b.example");
    expect((await get("/nope")).status).toBe(404);
    expect(await (await fetch(`${worker.url}/health`)).json()).toEqual({ ok: true });
  });

  it("a rendered list is measured as shown: the visitor's exposure is recorded", async () => {
    const lift = async () =>
      (await worker.admin<{ report: { treatment: { users: number } } }>("GET", `/projects/edge/recommendations/${ids.rec}/performance`)).json;
    const started = Date.now();
    let users = 0;
    while (users === 0 && Date.now() - started < 15_000) {
      users = (await lift()).report?.treatment?.users ?? 0;
      if (users === 0) await new Promise((r) => setTimeout(r, 300));
    }
    expect(users).toBeGreaterThanOrEqual(1);
  });

  it("in secure mode a user id from a cookie is not trusted (the page's script wrote it): only the device id is read", async () => {
    const lists = { cohorts: [ids.cohort], computations: [ids.computation], recommendations: [ids.rec], origins: [] };
    const secure = (allow: boolean) =>
      worker.admin("PUT", "/projects/edge/settings", { personalize: { ...lists, identity_verification: { required: true, allow_device_ids: allow } } });
    expect((await secure(true)).status).toBe(200);
    try {
      const claimed = await (await get("/product/1", ampCookie({ userId: "shopper", deviceId: "dev-stranger" }))).text();
      expect(claimed).not.toContain('id="members"');
      const device = await (await get("/product/1", ampCookie({ userId: "someone-else", deviceId: "dev-shopper" }))).text();
      expect(text(device, "members")).toBe("Welcome back, regular"); // the device, linked to shopper
    } finally {
      await worker.admin("PUT", "/projects/edge/settings", { personalize: lists });
    }
  }, 30_000);

  it("in Chromium the personalized content is there from the first paint: no layout shift, no script", async () => {
    const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
    if (!existsSync(CHROMIUM) && process.env.CI !== "true") return console.warn(`edge rendering in a browser skipped: no Chromium at ${CHROMIUM}`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const context = await browser.newContext({ javaScriptEnabled: true });
      const [name, ...value] = ampCookie({ deviceId: "dev-shopper", userId: "shopper" }).split("=");
      await context.addCookies([{ name: name!, value: value.join("="), url: worker.url }]);
      const tab = await context.newPage();
      await tab.goto(`${worker.url}/product/1`);
      expect(await tab.locator("#recs li.item").count()).toBe(3);
      expect(await tab.locator("#members").isVisible()).toBe(true);
      expect(await tab.locator("#spent").textContent()).toBe("42.5");
      // Every layout shift since navigation (buffered): none, since nothing is inserted after the HTML.
      const shift = await tab.evaluate(
        () =>
          new Promise<number>((resolve) => {
            type Observer = new (cb: (list: { getEntries(): { value: number }[] }) => void) => { observe(options: object): void };
            const Observer = (globalThis as unknown as { PerformanceObserver: Observer }).PerformanceObserver;
            let total = 0;
            new Observer((list) => {
              for (const e of list.getEntries()) total += e.value;
            }).observe({ type: "layout-shift", buffered: true });
            setTimeout(() => resolve(total), 500);
          }),
      );
      expect(shift).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
