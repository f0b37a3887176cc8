// Shared load-generation helpers for the benchmarks: a keep-alive HTTP client, a
// fixed-duration closed-loop driver, and percentile/table formatting.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wrangler } from "../scripts/lib/local.mjs";
import { treeUsage } from "../scripts/lib/process-usage.mjs";
import { freePort } from "../scripts/lib/worker.mjs";

// Idle sockets are dropped after 4 s: workerd closes a keep-alive connection idle for 5 s
// (kj's pipelineTimeout), and a request sent on one as it closes fails with "socket hang up".
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });

/** One HTTP request; resolves with the status and the body text. `timeoutMs` bounds socket inactivity. */
export function request(url, { method = "GET", headers = {}, body, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    // The agent's idle timeout is for free sockets only: a request in flight waits `timeoutMs` (or forever).
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    else req.setTimeout(0);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Runs `concurrency` clients, each sending `makeRequest()` back to back, for `seconds`
 * (after `warmupSeconds` whose results are discarded). Every non-2xx answer counts as an error.
 */
export async function drive({ seconds, warmupSeconds = 1, concurrency, makeRequest }) {
  const latencies = [];
  let errors = 0;
  let firstError;
  let measuring = false;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const { url, init } = makeRequest();
      const t0 = performance.now();
      const res = await request(url, init).catch((err) => ({ status: 0, body: String(err) }));
      const dt = performance.now() - t0;
      if (!measuring) continue;
      if (res.status < 200 || res.status >= 300) {
        errors++;
        firstError ??= `${res.status} ${res.body.slice(0, 200)}`;
      } else latencies.push(dt);
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  await sleep(warmupSeconds * 1000);
  measuring = true;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(clients);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    firstError,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `count` brand-new anonymous visitors' first page views (device ids `burst-device-<first…>`), one event each. */
export const newVisitors = (first, count) =>
  Array.from({ length: count }, (_, i) => ({
    device_id: `burst-device-${first + i}`,
    event_type: "Page Viewed",
    insert_id: `burst-${first + i}`,
    time: Date.now(),
    event_properties: { path: `/landing/${(first + i) % 40}` },
  }));

/** `concurrency` clients, each taking the next `batch` of `total` items (`send(first)`) until none is left. */
export async function inBatches({ total, batch, concurrency, send }) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const first = next;
        next += batch;
        await send(first);
      }
    }),
  );
}

/** A request's outcome as a client sees it: an HTTP status, or "hung" / "connection error". */
const attempt = (url, init) =>
  request(url, init).catch((err) => ({ status: String(err.message).startsWith("no answer") ? "hung" : "connection error", headers: {}, body: String(err) }));
const retryDelay = (res, attemptNo) => {
  const wait = Number(res.headers?.["retry-after"]);
  return Number.isFinite(wait) && wait > 0 ? wait * 1000 : Math.min(30_000, 500 * 2 ** attemptNo);
};

/**
 * POSTs a JSON `body` until it is answered 200, as the official SDKs' retry queues do: a
 * 429/5xx or a broken connection is resent after its Retry-After (or a backoff); any other
 * answer is final. `onAnswer` sees every answer. Resolves with the last answer and the
 * acknowledged attempt's latency.
 */
export async function sendUntilAcknowledged(url, body, { timeoutMs = 60_000, onAnswer } = {}) {
  for (let n = 1; ; n++) {
    const t0 = performance.now();
    const res = await attempt(url, { method: "POST", headers: { "content-type": "application/json" }, body, timeoutMs });
    onAnswer?.(res);
    const retryable = typeof res.status !== "number" || res.status === 429 || res.status >= 500;
    if (!retryable) return { res, ms: performance.now() - t0 };
    await sleep(retryDelay(res, n));
  }
}

/**
 * An admin API GET for a server-side count, resent while the server sheds load (503) or a
 * connection breaks — a read is safe to repeat. Any other answer is returned with its
 * JSON body; `onRetry` sees each resend.
 */
export async function adminGet(baseUrl, adminToken, path, { onRetry, timeoutMs = 60_000 } = {}) {
  for (let n = 1; ; n++) {
    const res = await attempt(`${baseUrl}/admin/api${path}`, { headers: { authorization: `Bearer ${adminToken}` }, timeoutMs });
    if (typeof res.status === "number" && res.status !== 503) return { status: res.status, body: res.body };
    onRetry?.(res);
    await sleep(retryDelay(res, Math.min(n, 4)));
  }
}

export function table(headers, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–");

/**
 * Starts `wrangler dev` on a benchmark's own Worker config (local state in a throwaway
 * directory) and waits until it answers. `time(path)` is one GET's wall time in ms:
 * workerd's clocks only advance on I/O, so in-Worker work is timed from outside.
 */
export async function startBenchWorker(config) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "tailor-bench-"));
  const dev = wrangler(
    [
      "dev",
      "-c",
      config,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      "--log-level",
      "warn",
      "--inspector-port",
      String(await freePort()),
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    dev.child.kill("SIGTERM");
    await sleep(500);
    rmSync(state, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    if (i > 300) {
      await stop();
      throw new Error(`bench worker ${config} did not start`);
    }
    await sleep(200);
  }
  const time = async (path) => {
    const t0 = performance.now();
    const res = await fetch(`${url}${path}`);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.text();
    return performance.now() - t0;
  };
  return { url, time, stop };
}

/** Samples `treeUsage(pid)` every `everyMs`: `samples` are [seconds since start, bytes, resident profiles, bytes of the largest process]. */
export function memorySampler(pid, everyMs) {
  const samples = [];
  let timer;
  let t0;
  return {
    now: () => treeUsage(pid).rss,
    start() {
      t0 = performance.now();
      const take = () => {
        const { rss, profiles, largest } = treeUsage(pid);
        samples.push([Math.round((performance.now() - t0) / 100) / 10, rss, profiles, largest]);
      };
      take();
      timer = setInterval(take, everyMs);
    },
    last: () => samples.at(-1)?.[1],
    peak: () => Math.max(...samples.map((s) => s[1])),
    peakProfiles: () => Math.max(...samples.map((s) => s[2])),
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

/**
 * The runtime's own limit: bare `workerd serve` (the binary in the project's node_modules)
 * running a trivial Worker, no Miniflare or wrangler in front. Benchmarks report their
 * cases as ratios to its requests/s measured in the same run.
 */
export async function startBareWorkerd() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "tailor-bare-workerd-"));
  writeFileSync(join(dir, "worker.js"), "export default { fetch() { return Response.json({ ok: true }); } };");
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = (modules = [(name = "worker.js", esModule = embed "worker.js")], compatibilityDate = "2026-04-20"))],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);`,
  );
  const child = spawn(join(process.cwd(), "node_modules/workerd/bin/workerd"), ["serve", join(dir, "config.capnp")], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {}
    if (i > 100) throw new Error("bare workerd did not start");
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    stop: async () => {
      child.kill("SIGTERM");
      await sleep(200);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
