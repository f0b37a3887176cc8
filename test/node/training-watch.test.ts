import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trainer } from "../../scripts/lib/local.mjs";
import { startLocalWorker, type LocalWorker } from "../../scripts/lib/worker.mjs";
import type { TrainingJobView } from "../../src/core/training-jobs";

// The Train button's path end to end: a job queued through the admin API, the real
// watcher (`npm run train -- --watch`) against the real local server claims it, trains on
// a tiny archive and publishes; the job ends `succeeded` with the now active version.
const DAY = 86_400_000;
const USERS = 24;
/** Days ago on which orders happen, all at 12:00 UTC: few archive hours to read. */
const DAYS = [60, 50, 42, 35, 28, 21, 17, 14, 11, 9, 6, 4, 2, 1];

let worker: LocalWorker;
let keys: { api_key: string; secret_key: string };
let watcher: ChildProcess;
let output = "";

const admin = <T>(method: string, path: string, body?: unknown) => worker.admin<T>(method, path, body);

/** Who orders when: user i orders on a day when (i + d) % 3 == 0 or on the first day; some users stop early (the label varies). */
function orders(): { user: string; time: number }[] {
  const noon = Math.floor(Date.now() / DAY) * DAY + 12 * 3_600_000 - DAY;
  const out: { user: string; time: number }[] = [];
  for (let i = 0; i < USERS; i++) {
    for (const d of DAYS) {
      const churned = i % 4 === 0 && d < 20;
      if ((d === DAYS[0] || (i + d) % 3 === 0 || (i % 2 === 0 && d % 2 === 0)) && !churned) out.push({ user: `watch-user-${i}`, time: noon - (d - 1) * DAY });
    }
  }
  return out;
}

beforeAll(async () => {
  worker = await startLocalWorker({ vars: { ARCHIVE_FLUSH_SECONDS: "1" } });
  keys = await worker.createProject("train-watch");
  const placed = orders();
  const res = await fetch(`${worker.url}/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      api_key: keys.api_key,
      events: placed.map((o, n) => ({
        user_id: o.user,
        event_type: "Order Completed",
        time: o.time,
        insert_id: `watch-${n}`,
        event_properties: { revenue: 10 + (n % 7) },
      })),
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  // Every (profile, hour) pair lands in the archive once its profile flushes.
  const expected = new Set(placed.map((o) => `${o.user}@${o.time}`)).size;
  for (let i = 0; ; i++) {
    const { json } = await admin<{ objects: { key: string }[] }>("GET", "/projects/train-watch/archive");
    const pairs = new Set(json.objects.map((o) => o.key.replace(/-\d+\.ndjson$/, ""))).size;
    if (pairs >= expected) break;
    if (i > 120) throw new Error(`archive has ${pairs} of ${expected} profile hours`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // As `npm start` runs it.
  watcher = trainer(["--watch", "--url", worker.url, "--poll", "0.5"], {
    env: { TAILOR_ADMIN_TOKEN: worker.adminToken, TAILOR_LOCAL_JSON: join(tmpdir(), "tailor-no-local.json") },
    stdio: ["ignore", "pipe", "pipe"],
  }).child;
  watcher.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  watcher.stderr!.on("data", (d: Buffer) => (output += d.toString()));
});

afterAll(async () => {
  if (process.env.SHOW_WATCHER) console.log(output);
  if (watcher && watcher.exitCode === null) {
    watcher.kill("SIGKILL");
  }
  await worker?.stop();
});

async function waitForJob(id: string, done: (j: TrainingJobView) => boolean, timeoutMs = 90_000): Promise<{ job: TrainingJobView; seen: Set<string> }> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await admin<TrainingJobView>("GET", `/projects/train-watch/training-jobs/${id}`);
    seen.add(json.status);
    if (json.message) seen.add(json.message);
    if (done(json)) return { job: json, seen };
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${json.status} (${json.message}); watcher said:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm run train -- --watch", () => {
  it("trains a queued prediction and finishes the job with the version it published, which is active", async () => {
    const created = await admin<{ id: string }>("POST", "/projects/train-watch/predictions", {
      name: "Orders within a week",
      definition: { goal: { event: { type: "Order Completed" } }, horizon_days: 7, value_property: "revenue" },
    });
    expect(created.status).toBe(201);
    const queued = await admin<TrainingJobView>("POST", `/projects/train-watch/predictions/${created.json.id}/train`);
    expect(queued.status).toBe(202);
    expect(queued.json.status).toBe("queued");

    const { job, seen } = await waitForJob(queued.json.id, (j) => j.status === "succeeded" || j.status === "failed");
    expect(job.error, output).toBeNull();
    expect(job).toMatchObject({ status: "succeeded", model_version: 1, attempts: 1 });
    expect(job.claimed_by).toContain(":");
    expect(job.finished_at).toBeGreaterThanOrEqual(job.started_at!);
    expect([...seen]).toContain("succeeded");

    const { json } = await admin<{ models: { id: string; version: number; active: boolean }[] }>(
      "GET",
      `/projects/train-watch/models?owner_id=${created.json.id}`,
    );
    expect(json.models).toEqual([expect.objectContaining({ id: job.model_id, version: 1, active: true })]);
    expect(output).toContain(`job ${job.id}`);
  });

  it("fails the job with the trainer's error when training cannot run", async () => {
    // A recommendation whose items never occur: nothing to learn from.
    const created = await admin<{ id: string }>("POST", "/projects/train-watch/recommendations", {
      name: "Nothing to learn",
      definition: { item: { event: { type: "Never Happens" }, property: "sku" } },
    });
    const queued = await admin<TrainingJobView>("POST", `/projects/train-watch/recommendations/${created.json.id}/train`);
    const { job } = await waitForJob(queued.json.id, (j) => j.status === "succeeded" || j.status === "failed");
    expect(job.status).toBe("failed");
    expect(job.error).toBe("no Never Happens events with sku in the archive: nothing to learn from yet");
    expect(job.model_version).toBeNull();
  });

  it("npm run train -- <id> still trains one definition directly, without the queue", async () => {
    const { json } = await admin<{ predictions: { id: string }[] }>("GET", "/projects/train-watch/predictions");
    const run = trainer([json.predictions[0]!.id, "--url", worker.url, "--project", "train-watch", "--no-publish"], {
      env: { TAILOR_ADMIN_TOKEN: worker.adminToken, TAILOR_LOCAL_JSON: join(tmpdir(), "tailor-no-local.json") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let said = "";
    run.child.stdout!.on("data", (d: Buffer) => (said += d.toString()));
    run.child.stderr!.on("data", (d: Buffer) => (said += d.toString()));
    expect(await run.exited, said).toBe(0);
    expect(said).toContain("ONNX export checked");
    expect(said).toContain("Done in");
    expect(said).not.toContain("published model");
  });

  it("stops on SIGTERM with exit code 0", async () => {
    watcher.kill("SIGTERM");
    const code = await new Promise((r) => (watcher.exitCode !== null ? r(watcher.exitCode) : watcher.once("exit", r)));
    expect(code).toBe(0);
  });
});
