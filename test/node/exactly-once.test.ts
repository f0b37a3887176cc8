import { createInstance } from "@amplitude/analytics-node";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";

// The official Amplitude Node SDK talks to a real wrangler dev through a faulty proxy
// that, per request: answers 503 without forwarding; forwards and then drops the
// response mid-way (the client cannot know whether it was stored); holds the response
// until the client times out; or delivers the request twice. The SDK retries; every
// event must count exactly once.
const EVENTS = 300;
const USERS = 10;
const FAULTS = { unavailable: 0.15, dropResponse: 0.15, hang: 0.05, duplicate: 0.15 };
/** Seeded, so a failure can be replayed; the first four requests get one fault of each kind. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(9);
const FIRST_ROLLS = [0.01, 0.16, 0.31, 0.36];

let worker: LocalWorker;
let proxy: Server;
let proxyUrl: string;
const seen = { requests: 0, unavailable: 0, dropResponse: 0, hang: 0, duplicate: 0, clean: 0 };

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = request(new URL(req.url ?? "/", target), { method: req.method, headers: { "content-type": req.headers["content-type"] ?? "application/json", "content-length": body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: { "content-type": String(res.headers["content-type"] ?? "application/json") }, body: Buffer.concat(chunks) }));
    });
    out.on("error", reject);
    out.end(body);
  });
}

beforeAll(async () => {
  worker = await startLocalWorker();
  const target = new URL(worker.url);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      seen.requests++;
      const roll = FIRST_ROLLS[seen.requests - 1] ?? random();
      let edge = 0;
      const pick = (p: number) => roll < (edge += p);
      try {
        if (pick(FAULTS.unavailable)) {
          seen.unavailable++;
          res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: 503, error: "Service unavailable (injected)" }));
        } else if (pick(FAULTS.dropResponse)) {
          seen.dropResponse++;
          const upstream = await forward(target, req, body); // stored upstream…
          res.writeHead(upstream.status, { ...upstream.headers, "content-length": String(upstream.body.length) });
          res.flushHeaders();
          // …but the answer never arrives whole. (The SDK drops a batch whose connection
          // fails before any response byte — "never reached the server" — so the status
          // line and a few bytes go out first, as when a connection dies mid-response.)
          res.write(upstream.body.subarray(0, 5), () => setTimeout(() => res.destroy(), 20));
        } else if (pick(FAULTS.hang)) {
          seen.hang++;
          await forward(target, req, body); // stored, then silence until the client gives up
        } else if (pick(FAULTS.duplicate)) {
          seen.duplicate++;
          const [first] = await Promise.all([forward(target, req, body), forward(target, req, body)]);
          res.writeHead(first.status, first.headers).end(first.body);
        } else {
          seen.clean++;
          const upstream = await forward(target, req, body);
          res.writeHead(upstream.status, upstream.headers).end(upstream.body);
        }
      } catch (err) {
        res.destroy(err as Error);
      }
    });
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", () => r()));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  await worker?.stop();
});

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${worker.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${worker.adminToken}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

describe("exactly once under retries", () => {
  it("every event sent through timeouts, 5xx and duplicate deliveries counts exactly once", async () => {
    const { api_key } = await worker.createProject("once");
    const count = await admin<{ id: string }>("POST", "/computations?project=once", { name: "Purchases", definition: { event: { type: "Purchase" }, aggregate: "count" } });

    const amp = createInstance();
    await amp.init(api_key, { serverUrl: `${proxyUrl}/2/httpapi`, flushIntervalMillis: 20, flushQueueSize: 10, flushMaxRetries: 100, requestTimeoutMillis: 1_000, logLevel: 0 }).promise;
    const results = await Promise.all(
      Array.from({ length: EVENTS }, (_, n) => amp.track("Purchase", { n }, { user_id: `once-user-${n % USERS}`, insert_id: `once-${n}` }).promise),
    );
    console.log(`proxy: ${JSON.stringify(seen)}`);
    expect(results.filter((r) => r.code !== 200)).toEqual([]);
    expect(Math.min(seen.unavailable, seen.dropResponse, seen.hang, seen.duplicate)).toBeGreaterThan(0);

    let total = 0;
    for (let u = 0; u < USERS; u++) {
      const body = await admin<{ profile: { event_count: number }; segments: { computations: Record<string, unknown> }; events: { insert_id: string }[] }>(
        "GET",
        `/projects/once/users?user_id=once-user-${u}&events=1000`,
      );
      const expected = EVENTS / USERS;
      expect(body.profile.event_count).toBe(expected);
      expect(body.segments.computations[count.id]).toBe(expected);
      expect(new Set(body.events.map((e) => e.insert_id)).size).toBe(expected);
      total += body.profile.event_count;
    }
    expect(total).toBe(EVENTS);
  }, 180_000);
});
