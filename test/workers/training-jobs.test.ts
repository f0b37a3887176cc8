import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { STALE_AFTER_MS, type TrainingJobView } from "../../src/core/training-jobs";
import { admin, call, create, createProject, uiSession, type TestProject } from "./helpers";

// The training queue: the admin API (and the UI through it) queues jobs, a Node trainer
// claims them, heartbeats and finishes them.
let a: TestProject;
let b: TestProject;
let predA: string;
let recA: string;
let predB: string;

async function define(project: string, kind: "predictions" | "recommendations", name: string): Promise<string> {
  const definition =
    kind === "predictions"
      ? { goal: { event: { type: "Order Completed" } }, horizon_days: 30 }
      : { item: { event: { type: "Product Purchased" }, property: "product_id" } };
  return create(project, kind, { name, definition });
}

const post = (path: string, body?: unknown) => admin(path, { method: "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const train = (project: string, kind: "predictions" | "recommendations", id: string) => post(`/projects/${project}/${kind}/${id}/train`);
const claim = async (worker: string) => (await (await post("/training-jobs/claim", { worker })).json<{ job: TrainingJobView | null }>()).job;
const sql = (query: string, ...params: unknown[]) =>
  env.DB.prepare(query)
    .bind(...params)
    .run();

/** Claims and fails every claimable job, so a test starts from an empty queue. */
async function drain() {
  for (let job = await claim("drain"); job !== null; job = await claim("drain")) {
    expect(
      (await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, { worker: "drain", status: "failed", error: "drained by the test" })).status,
    ).toBe(200);
  }
}

/** A model version row as publishing leaves it (the bytes are not needed here). */
async function fakeModel(project: string, kind: "prediction" | "recommendation", ownerId: string, version: number): Promise<string> {
  const id = `mdl_test${ownerId.slice(4)}${version}`;
  await sql(
    "INSERT INTO models (id, project_id, owner_kind, owner_id, version, r2_key, metrics, active, created_at) VALUES (?, ?, ?, ?, ?, ?, '{}', 1, ?)",
    id,
    project,
    kind,
    ownerId,
    version,
    `models/${project}/${ownerId}/v${version}`,
    Date.now(),
  );
  return id;
}

beforeAll(async () => {
  a = await createProject("train-a");
  b = await createProject("train-b");
  predA = await define(a.id, "predictions", "Buys again");
  recA = await define(a.id, "recommendations", "Next products");
  predB = await define(b.id, "predictions", "Buys again in B");
});

describe("queueing a training", () => {
  it("POST /predictions/:id/train answers 202 with a queued job; a second request returns the same job", async () => {
    const first = await train(a.id, "predictions", predA);
    expect(first.status).toBe(202);
    const job = await first.json<TrainingJobView>();
    expect(job).toMatchObject({
      project_id: a.id,
      kind: "prediction",
      owner_id: predA,
      status: "queued",
      started_at: null,
      finished_at: null,
      attempts: 0,
      model_version: null,
    });
    expect(job.id).toMatch(/^trn_/);

    const again = await train(a.id, "predictions", predA);
    expect(again.status).toBe(202);
    expect((await again.json<TrainingJobView>()).id).toBe(job.id);
    const list = await (await admin(`/projects/${a.id}/training-jobs?owner=${predA}`)).json<{ jobs: TrainingJobView[] }>();
    expect(list.jobs.map((j) => j.id)).toEqual([job.id]);
    expect(await (await admin(`/projects/${job.project_id}/training-jobs/${job.id}`)).json()).toEqual(job);
  });

  it("concurrent requests still queue one job", async () => {
    const answers = await Promise.all([1, 2, 3, 4].map(() => train(a.id, "recommendations", recA)));
    const ids = new Set(await Promise.all(answers.map(async (r) => (expect(r.status).toBe(202), (await r.json<TrainingJobView>()).id))));
    expect(ids.size).toBe(1);
    const list = await (await admin(`/projects/${a.id}/training-jobs?owner=${recA}`)).json<{ jobs: TrainingJobView[] }>();
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ kind: "recommendation", status: "queued" });
  });

  it("lists a project's jobs newest first, and only that project's", async () => {
    // The two jobs queued above, requested a second apart (recA's the newer), so the order is not a tie.
    await sql("UPDATE training_jobs SET requested_at = ? WHERE project_id = ? AND owner_id = ?", 1_000, a.id, predA);
    await sql("UPDATE training_jobs SET requested_at = ? WHERE project_id = ? AND owner_id = ?", 2_000, a.id, recA);
    const list = await (await admin(`/projects/${a.id}/training-jobs`)).json<{ jobs: TrainingJobView[] }>();
    expect(list.jobs.map((j) => j.owner_id).sort()).toEqual([predA, recA].sort());
    expect(list.jobs[0]!.requested_at).toBeGreaterThanOrEqual(list.jobs[1]!.requested_at);
    expect((await (await admin(`/projects/${b.id}/training-jobs`)).json<{ jobs: unknown[] }>()).jobs).toEqual([]);
  });

  it("unknown definitions and jobs are 404s; a definition of another project too", async () => {
    expect((await train(a.id, "predictions", "prd_missing")).status).toBe(404);
    expect((await train(a.id, "recommendations", predA)).status).toBe(404);
    expect((await train(b.id, "predictions", predA)).status).toBe(404);
    for (const res of [
      await admin(`/projects/${a.id}/training-jobs/trn_missing`),
      await post(`/projects/${a.id}/training-jobs/trn_missing/progress`, { worker: "w" }),
      await post(`/projects/${a.id}/training-jobs/trn_missing/finish`, { worker: "w", status: "failed", error: "x" }),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
    }
    // A job is reachable only through its own project.
    const [job] = (await (await admin(`/projects/${a.id}/training-jobs?owner=${predA}`)).json<{ jobs: TrainingJobView[] }>()).jobs;
    expect((await admin(`/projects/${a.id}/training-jobs/${job!.id}`)).status).toBe(200);
    for (const res of [
      await admin(`/projects/${b.id}/training-jobs/${job!.id}`),
      await post(`/projects/${b.id}/training-jobs/${job!.id}/progress`, { worker: "w" }),
    ])
      expect(res.status).toBe(404);
  });

  it("bad input is a 400 naming the field", async () => {
    const cases: [Promise<Response>, string][] = [
      [post("/training-jobs/claim", {}), "worker"],
      [post("/training-jobs/claim", { worker: "" }), "worker"],
      [post("/training-jobs/claim", { worker: "w", wait_seconds: 600 }), "wait_seconds"],
      [post(`/projects/${a.id}/training-jobs/trn_x/progress`, { worker: "w", message: 5 }), "message"],
      [post(`/projects/${a.id}/training-jobs/trn_x/finish`, { worker: "w", status: "done" }), "status"],
      [post(`/projects/${a.id}/training-jobs/trn_x/finish`, { worker: "w", status: "succeeded" }), "model_id"],
      [post(`/projects/${a.id}/training-jobs/trn_x/finish`, { worker: "w", status: "failed" }), "error"],
      [admin(`/projects/${a.id}/training-jobs?limit=0`), "limit"],
      [admin("/projects/Not%20A%20Slug/training-jobs"), "project"],
      [train("Bad Project", "predictions", predA), "project"],
    ];
    for (const [pending, field] of cases) {
      const res = await pending;
      expect(res.status, field).toBe(400);
      const body = await res.json<{ error: { code: string; details: { field: string }[] } }>();
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.details.map((d) => d.field)).toContain(field);
    }
    const notJson = await admin("/training-jobs/claim", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("needs the admin token, and the session's CSRF token for the UI's cookie", async () => {
    expect((await call(`/admin/api/projects/${a.id}/predictions/${predA}/train`, { method: "POST" })).status).toBe(401);
    expect((await call("/admin/api/training-jobs/claim", { method: "POST", headers: { authorization: `Bearer ${a.secretKey}` }, body: "{}" })).status).toBe(
      401,
    );
    expect((await call(`/admin/api/projects/${a.id}/training-jobs`)).status).toBe(401);

    const { cookie, csrf } = await uiSession();
    const path = `/admin/api/projects/${b.id}/predictions/${predB}/train`;
    expect((await call(path, { method: "POST", headers: { cookie } })).status).toBe(403);
    const ok = await call(path, { method: "POST", headers: { cookie, "x-csrf-token": csrf } });
    expect(ok.status).toBe(202);
  });
});

describe("trainers claiming jobs", () => {
  it("claims the oldest queued job across projects, then the next, then none", async () => {
    await drain();
    const queued = [];
    for (const [p, kind, id] of [
      [b.id, "predictions", predB],
      [a.id, "predictions", predA],
      [a.id, "recommendations", recA],
    ] as const)
      queued.push(await (await train(p, kind, id)).json<TrainingJobView>());
    // Requested in this order, a millisecond apart at least.
    for (const [i, job] of queued.entries()) await sql("UPDATE training_jobs SET requested_at = ? WHERE id = ?", 1_000 + i, job.id);

    const first = await claim("trainer-1");
    expect(first).toMatchObject({ id: queued[0]!.id, project_id: b.id, status: "running", claimed_by: "trainer-1", attempts: 1 });
    expect(first!.started_at).toBeGreaterThan(0);
    expect(first!.heartbeat_at).toBe(first!.started_at);
    expect((await claim("trainer-2"))!.id).toBe(queued[1]!.id);
    expect((await claim("trainer-1"))!.id).toBe(queued[2]!.id);
    expect(await claim("trainer-3")).toBeNull();
    // While running, asking to train again finds the running job.
    expect((await (await train(b.id, "predictions", predB)).json<TrainingJobView>()).id).toBe(queued[0]!.id);
    await drainRunning(queued);
  });

  it("concurrent claims never hand out the same job twice", async () => {
    await drain();
    const queued = await Promise.all(
      [
        [a.id, "predictions", predA],
        [a.id, "recommendations", recA],
        [b.id, "predictions", predB],
      ].map(async ([p, k, id]) => (await train(p!, k as "predictions", id!)).json<TrainingJobView>()),
    );
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claim(`racer-${i}`)));
    const got = claims.filter((j) => j !== null);
    expect(got.map((j) => j.id).sort()).toEqual(queued.map((j) => j.id).sort());
    expect(new Set(got.map((j) => j.claimed_by)).size).toBe(3);
    await drainRunning(queued);
  });

  it("a claim with wait_seconds waits for a job to arrive (a long poll)", async () => {
    await drain();
    const started = Date.now();
    const waiting = post("/training-jobs/claim", { worker: "patient", wait_seconds: 5 });
    await new Promise((r) => setTimeout(r, 300));
    const job = await (await train(a.id, "predictions", predA)).json<TrainingJobView>();
    const res = await waiting;
    expect(res.status).toBe(200);
    expect((await res.json<{ job: TrainingJobView }>()).job).toMatchObject({ id: job.id, claimed_by: "patient" });
    expect(Date.now() - started).toBeLessThan(4_000);
    await drainRunning([job]);
    // Nothing arrives: null after the wait.
    const empty = await post("/training-jobs/claim", { worker: "patient", wait_seconds: 1 });
    expect(await empty.json()).toEqual({ job: null });
  });

  it("a running job whose heartbeat went stale is claimed again; its old trainer is then refused", async () => {
    await drain();
    const job = await (await train(a.id, "predictions", predA)).json<TrainingJobView>();
    expect((await claim("gone-away"))!.id).toBe(job.id);
    // Fresh heartbeat: nobody else gets it.
    expect(await claim("other")).toBeNull();
    await sql("UPDATE training_jobs SET heartbeat_at = ? WHERE id = ?", Date.now() - STALE_AFTER_MS - 1_000, job.id);
    const taken = await claim("other");
    expect(taken).toMatchObject({ id: job.id, status: "running", claimed_by: "other", attempts: 2 });

    const late = await post(`/projects/${job.project_id}/training-jobs/${job.id}/progress`, { worker: "gone-away", message: "still here" });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: { code: "conflict" } });
    expect((await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, { worker: "gone-away", status: "failed", error: "late" })).status).toBe(
      409,
    );
    await drainRunning([job], "other");
  });
});

describe("a trainer's reports", () => {
  it("progress heartbeats and sets the message; finish records the published version; the job is then closed", async () => {
    await drain();
    const job = await (await train(a.id, "predictions", predA)).json<TrainingJobView>();
    const claimed = (await claim("w1"))!;
    await sql("UPDATE training_jobs SET heartbeat_at = ? WHERE id = ?", claimed.heartbeat_at! - 60_000, job.id);

    const progress = await post(`/projects/${job.project_id}/training-jobs/${job.id}/progress`, { worker: "w1", message: "reading hour 10/40" });
    expect(progress.status).toBe(200);
    const after = await progress.json<TrainingJobView>();
    expect(after.message).toBe("reading hour 10/40");
    expect(after.heartbeat_at).toBeGreaterThan(claimed.heartbeat_at! - 60_000);
    // A bare heartbeat keeps the message.
    expect((await (await post(`/projects/${job.project_id}/training-jobs/${job.id}/progress`, { worker: "w1" })).json<TrainingJobView>()).message).toBe(
      "reading hour 10/40",
    );

    // The model must be a version of this job's definition.
    const otherModel = await fakeModel(b.id, "prediction", predB, 1);
    const wrong = await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, { worker: "w1", status: "succeeded", model_id: otherModel });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { details: [{ field: "model_id" }] } });

    const model = await fakeModel(a.id, "prediction", predA, 3);
    const finished = await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, { worker: "w1", status: "succeeded", model_id: model });
    expect(finished.status).toBe(200);
    const done = await finished.json<TrainingJobView>();
    expect(done).toMatchObject({ status: "succeeded", model_id: model, model_version: 3, error: null, message: "published version 3" });
    expect(done.finished_at).toBeGreaterThanOrEqual(done.started_at!);

    expect((await post(`/projects/${job.project_id}/training-jobs/${job.id}/progress`, { worker: "w1" })).status).toBe(409);
    expect((await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, { worker: "w1", status: "failed", error: "again" })).status).toBe(409);
    // A finished job no longer holds the definition: training again queues a new one.
    const next = await train(a.id, "predictions", predA);
    expect((await next.json<TrainingJobView>()).id).not.toBe(job.id);
  });

  it("a failure is recorded with its error", async () => {
    await drain();
    const job = await (await train(b.id, "predictions", predB)).json<TrainingJobView>();
    expect((await claim("w2"))!.id).toBe(job.id);
    const res = await post(`/projects/${job.project_id}/training-jobs/${job.id}/finish`, {
      worker: "w2",
      status: "failed",
      error: "the archive is empty: load some events first",
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "failed", error: "the archive is empty: load some events first", model_version: null });
    const listed = await (await admin(`/projects/${b.id}/training-jobs?owner=${predB}&limit=1`)).json<{ jobs: TrainingJobView[] }>();
    expect(listed.jobs).toHaveLength(1);
    expect(listed.jobs[0]).toMatchObject({ id: job.id, status: "failed" });
  });
});

/** Fails jobs this file's trainers still hold, so the next test starts clean. */
async function drainRunning(jobs: TrainingJobView[], worker?: string) {
  for (const { id, project_id } of jobs) {
    const job = await (await admin(`/projects/${project_id}/training-jobs/${id}`)).json<TrainingJobView>();
    if (job.status !== "running") continue;
    expect(
      (await post(`/projects/${project_id}/training-jobs/${id}/finish`, { worker: worker ?? job.claimed_by, status: "failed", error: "test over" })).status,
    ).toBe(200);
  }
}

describe("the admin UI's Train now", () => {
  it("queues through the API with the form's CSRF token, then shows the job live on the page", async () => {
    const c = await createProject("train-ui");
    const pred = await define(c.id, "predictions", "UI trained");
    const { cookie, csrf } = await uiSession();
    const page = `/admin/p/${c.id}/predictions/${pred}`;

    const before = await (await call(page, { headers: { cookie } })).text();
    expect(before).toContain("Train now");
    expect(before).toContain("Not trained yet");
    expect(before).not.toContain('id="training-jobs"');

    expect((await call(`${page}/train`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ _csrf: "forged" }) })).status).toBe(403);
    const pressed = await call(`${page}/train`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ _csrf: csrf }), redirect: "manual" });
    expect(pressed.status).toBe(303);
    expect(pressed.headers.get("location")).toBe(`${page}?training=queued#training`);

    const after = await (await call(`${page}?training=queued`, { headers: { cookie } })).text();
    expect(after).toContain("Training queued");
    expect(after).toContain(`data-live-url="/admin/api/projects/${c.id}/training-jobs?owner=${pred}&amp;limit=5"`);
    const [job] = (await (await admin(`/projects/${c.id}/training-jobs`)).json<{ jobs: TrainingJobView[] }>()).jobs;
    expect(after).toMatch(new RegExp(`data-live-id="${job!.id}" data-live-field="status">queued<`));

    // Pressing again while it waits: the same job, told so.
    const again = await call(`${page}/train`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ _csrf: csrf }), redirect: "manual" });
    expect(again.headers.get("location")).toBe(`${page}?training=queued#training`);
    expect((await (await admin(`/projects/${c.id}/training-jobs`)).json<{ jobs: unknown[] }>()).jobs).toHaveLength(1);

    // Finished: the table stops refreshing and shows the outcome.
    await drain();
    const done = await (await call(page, { headers: { cookie } })).text();
    expect(done).not.toContain('data-live-url="/admin/api/training-jobs');
    expect(done).toMatch(/data-live-field="error">drained by the test</);
  });

  it("a recommendation's page has the same panel", async () => {
    const { cookie, csrf } = await uiSession();
    const page = `/admin/p/${a.id}/recommendations/${recA}`;
    const pressed = await call(`${page}/train`, { method: "POST", headers: { cookie }, body: new URLSearchParams({ _csrf: csrf }), redirect: "manual" });
    expect(pressed.status).toBe(303);
    const html = await (await call(page, { headers: { cookie } })).text();
    expect(html).toContain("Train now");
    expect(html).toContain('id="training-jobs"');
    await drain();
  });
});
