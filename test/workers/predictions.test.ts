import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultFeatures, featureNames, featureVector } from "../../src/core/features";
import { emptySnapshot, SegmentEngine } from "../../src/core/segments/engine";
import { predict } from "../../src/train/model/logistic-regression";
import { logisticOnnx } from "../../src/train/onnx/logistic";
import { featureDefinitions, featureValues } from "../../src/train/snapshots";
import { admin, call, createProject, profile, upload, user, type TestProject } from "./helpers";

const DAY = 86_400_000;
const goal = { type: "Order Completed", filters: [] };
const spec = defaultFeatures(goal, "revenue", ["Viewed"]);
const weights = featureNames(spec).map((f) => (f === "goal_count" ? 1.5 : f === "days_since_last_goal" ? -0.02 : f === "goal_value" ? 0.1 : 0));
const bias = -2;
const quantiles = Array.from({ length: 101 }, (_, i) => i / 100);

let project: TestProject;
let predictionId: string;

beforeAll(async () => {
  project = await createProject("predict");
  const res = await admin(`/projects/${project.id}/predictions`, {
    method: "POST",
    body: JSON.stringify({ name: "Buys again", definition: { goal: { event: goal }, horizon_days: 30 } }),
  });
  predictionId = (await res.json<{ id: string }>()).id;
  const bytes = logisticOnnx({ weights, bias, featureNames: featureNames(spec) });
  const published = await admin(`/projects/${project.id}/models`, {
    method: "POST",
    body: JSON.stringify({
      owner_kind: "prediction",
      owner_id: predictionId,
      model: btoa(String.fromCharCode(...bytes)),
      metadata: { feature_spec: spec, quantiles, metrics: { auc: 0.7 } },
    }),
  });
  expect(published.status).toBe(201);
});

/** The trainer's path: replay the events through the same engine to `at`, then the model. */
function trainerScore(events: { event_type: string; time: number; event_properties: { revenue?: number } }[], at: number): number {
  const engine = new SegmentEngine(featureDefinitions(spec), emptySnapshot());
  for (const e of events) {
    const props: Record<string, number> = e.event_properties.revenue === undefined ? {} : { revenue: e.event_properties.revenue };
    engine.ingest(
      [{ uuid: String(e.time), user_properties: {}, received_at: e.time, event_type: e.event_type, time: e.time, event_properties: props }],
      e.time,
      {},
      false,
    );
  }
  engine.tick(at, {});
  return predict({ weights, bias }, featureVector(spec, featureValues(engine, at), at));
}

async function propensity(userId: string, type: "score" | "pct") {
  const res = await call(`/v1/userprofile?user_id=${userId}&get_propensity=true&prediction_id=${predictionId}&propensity_type=${type}`, {
    headers: { authorization: `Api-Key ${project.secretKey}` },
  });
  return res.json<{ userData: { propensity: number | null; propensities: { prop: number | null }[] } }>();
}

describe("predictions served at the edge", () => {
  it("train/serve parity: the profile's score equals the trainer's for the same instant", async () => {
    const now = Date.now();
    const events = [
      { event_type: "Viewed", time: now - 40 * DAY, event_properties: {} },
      { event_type: "Order Completed", time: now - 30 * DAY, event_properties: { revenue: 20 } },
      { event_type: "Order Completed", time: now - 5 * DAY, event_properties: { revenue: 35.5 } },
    ];
    expect((await upload({ api_key: project.apiKey, events: events.map((e) => ({ user_id: "scored-user-1", ...e })) })).status).toBe(200);
    const read = await profile(project.id, user("scored-user-1")).read(false);
    const served = read!.scores[predictionId]!;
    expect(served.score).toBeCloseTo(trainerScore(events, served.at), 5);
    expect(served.pct).toBe(Math.floor(served.score * 100 + 1e-9));

    const viaApi = await propensity("scored-user-1", "score");
    expect(viaApi.userData.propensity).toBeCloseTo(served.score, 6);
    expect((await propensity("scored-user-1", "pct")).userData.propensities[0]!.prop).toBe(served.pct);
  });

  it("a predictive cohort's membership changes when the score crosses its threshold", async () => {
    const now = Date.now();
    await upload({
      api_key: project.apiKey,
      events: [{ user_id: "scored-user-2", event_type: "Order Completed", time: now - DAY, event_properties: { revenue: 10 } }],
    });
    const before = (await profile(project.id, user("scored-user-2")).read(false))!.scores[predictionId]!.score;
    const res = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({
        name: "Likely buyers",
        definition: { type: "behavioral", match: { prediction: { id: predictionId, on: "score", op: "gte", value: before + 0.05 } } },
      }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const likely = (await res.json<{ id: string }>()).id;
    expect((await profile(project.id, user("scored-user-2")).getSegments())?.cohort_ids).not.toContain(likely);

    // Two more orders raise goal_count, so the score crosses the threshold.
    await upload({
      api_key: project.apiKey,
      events: [1, 2].map((i) => ({ user_id: "scored-user-2", event_type: "Order Completed", time: now - i * 1000, event_properties: { revenue: 10 } })),
    });
    const after = (await profile(project.id, user("scored-user-2")).read(false))!.scores[predictionId]!.score;
    expect(after).toBeGreaterThan(before + 0.05);
    expect((await profile(project.id, user("scored-user-2")).getSegments())?.cohort_ids).toContain(likely);
  });

  it("a prediction with a population scores only that cohort's members", async () => {
    const vip = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Pro plan", definition: { type: "behavioral", match: { user_property: { property: "plan", op: "eq", value: "pro" } } } }),
    });
    const cohortId = (await vip.json<{ id: string }>()).id;
    const res = await admin(`/projects/${project.id}/predictions/${predictionId}`, {
      method: "PUT",
      body: JSON.stringify({ definition: { goal: { event: goal }, horizon_days: 30, population: { cohort: cohortId } } }),
    });
    expect(res.status).toBe(200);
    await upload({
      api_key: project.apiKey,
      events: [
        { user_id: "pop-pro-1", event_type: "Order Completed", user_properties: { plan: "pro" }, event_properties: { revenue: 5 } },
        { user_id: "pop-free-1", event_type: "Order Completed", user_properties: { plan: "free" }, event_properties: { revenue: 5 } },
      ],
    });
    expect((await profile(project.id, user("pop-pro-1")).read(false))!.scores[predictionId]).toBeDefined();
    expect((await profile(project.id, user("pop-free-1")).read(false))!.scores[predictionId]).toBeUndefined();
  });

  it("top_percent sugar, and unknown predictions are refused", async () => {
    const top = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Top 10%", definition: { type: "behavioral", match: { prediction: { id: predictionId, top_percent: 10 } } } }),
    });
    expect(top.status).toBe(201);
    const unknown = await admin(`/projects/${project.id}/cohorts`, {
      method: "POST",
      body: JSON.stringify({ name: "Nope", definition: { type: "behavioral", match: { prediction: { id: "prd_nope", top_percent: 10 } } } }),
    });
    expect(unknown.status).toBe(400);
    // A prediction that cohorts depend on cannot be deleted from under them.
    expect((await admin(`/projects/${project.id}/predictions/${predictionId}`, { method: "DELETE" })).status).toBe(400);
  });
});

describe("model versions", () => {
  it("a new version becomes active; activating an older one rolls back", async () => {
    const bytes = logisticOnnx({ weights: weights.map((w) => w / 2), bias, featureNames: featureNames(spec) });
    const v2 = await admin(`/projects/${project.id}/models`, {
      method: "POST",
      body: JSON.stringify({
        owner_kind: "prediction",
        owner_id: predictionId,
        model: btoa(String.fromCharCode(...bytes)),
        metadata: { feature_spec: spec, quantiles },
      }),
    });
    expect(v2.status).toBe(201);
    const list = async () =>
      (await (await admin(`/projects/${project.id}/models?owner_id=${predictionId}`)).json<{ models: { id: string; version: number; active: boolean }[] }>())
        .models;
    const versions = await list();
    expect(versions.filter((m) => m.active).map((m) => m.version)).toEqual([2]);
    const v1 = versions.find((m) => m.version === 1)!;
    expect((await admin(`/projects/${project.id}/models/${v1.id}/activate`, { method: "POST" })).status).toBe(200);
    expect((await list()).filter((m) => m.active).map((m) => m.version)).toEqual([1]);
  });

  it("a model is reachable only through its own project", async () => {
    const other = await createProject("models-other");
    const [v1] = (await (await admin(`/projects/${project.id}/models?owner_id=${predictionId}`)).json<{ models: { id: string }[] }>()).models;
    expect((await admin(`/projects/${other.id}/models/${v1!.id}/activate`, { method: "POST" })).status).toBe(404);
    expect((await (await admin(`/projects/${other.id}/models`)).json<{ models: unknown[] }>()).models).toEqual([]);
    // Publishing under another project for this project's prediction: its owner is not there.
    const bytes = logisticOnnx({ weights, bias, featureNames: featureNames(spec) });
    const res = await admin(`/projects/${other.id}/models`, {
      method: "POST",
      body: JSON.stringify({
        owner_kind: "prediction",
        owner_id: predictionId,
        model: btoa(String.fromCharCode(...bytes)),
        metadata: { feature_spec: spec, quantiles },
      }),
    });
    expect(res.status).toBe(404);
    expect(
      (await (await admin(`/projects/${project.id}/models?owner_id=${predictionId}`)).json<{ models: { active: boolean; version: number }[] }>()).models
        .filter((m) => m.active)
        .map((m) => m.version),
    ).toEqual([1]);
  });

  it("the trainer ↔ Worker contract: a feature spec version this Worker cannot serve, or a model without its tensors, is refused with the field named; a stored one is left unscored", async () => {
    const bytes = logisticOnnx({ weights, bias, featureNames: featureNames(spec) });
    const publish = (metadata: unknown, model = btoa(String.fromCharCode(...bytes))) =>
      admin(`/projects/${project.id}/models`, {
        method: "POST",
        body: JSON.stringify({ owner_kind: "prediction", owner_id: predictionId, model, metadata, activate: false }),
      });
    const future = await publish({ feature_spec: { ...spec, version: 99 }, quantiles });
    expect(future.status).toBe(400);
    const body = await future.json<{ error: { message: string; details: { field: string; message: string }[] } }>();
    expect(body.error.details[0]).toEqual({
      field: "metadata.feature_spec.version",
      message: "feature spec version 99 is not one this Worker serves (1, 2): update Tailor",
    });
    const missing = await publish({ quantiles });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toMatch(/metadata\.feature_spec/);

    // A model row written by a newer trainer straight into D1: the prediction stays defined, unscored, and ingestion goes on.
    const [active] = (
      await (await admin(`/projects/${project.id}/models?owner_id=${predictionId}`)).json<{ models: { id: string; active: boolean }[] }>()
    ).models.filter((m) => m.active);
    const { serving } = (await env.DB.prepare("SELECT serving FROM models WHERE id = ?").bind(active!.id).first<{ serving: string }>())!;
    try {
      await env.DB.batch([
        env.DB.prepare("UPDATE models SET serving = ? WHERE id = ?").bind(
          JSON.stringify({ ...JSON.parse(serving), feature_spec: { ...spec, version: 99 } }),
          active!.id,
        ),
        env.DB.prepare("UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = ?").bind(project.id),
      ]);
      const res = await upload({ api_key: project.apiKey, events: [{ user_id: "newer-trainer-user", event_type: "Order Completed", insert_id: "nt-1" }] });
      expect(res.status).toBe(200);
      const read = await profile(project.id, user("newer-trainer-user")).read(false);
      expect(read?.scores[predictionId]).toBeUndefined();
    } finally {
      await env.DB.batch([
        env.DB.prepare("UPDATE models SET serving = ? WHERE id = ?").bind(serving, active!.id),
        env.DB.prepare("UPDATE projects SET definitions_version = definitions_version + 1 WHERE id = ?").bind(project.id),
      ]);
    }
  });
});
