import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { defaultFeatures, featureNames } from "../../src/core/features";
import { profileObjectName } from "../../src/core/event";
import { listNdcg, OUTCOME_GRACE_MS } from "../../src/core/served-outcomes";
import type { ServedView } from "../../src/edge/served-quality-store";
import { auc, calibration, logLoss } from "../../src/train/metrics";
import { logisticOnnx } from "../../src/train/onnx/logistic";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { admin, call, create, createProject, upload, user, type TestProject } from "./helpers";

/**
 * The product's own measure of model quality: each profile's first answer from a model
 * version opens a window; what the user does before it ends decides its outcome; the
 * models API aggregates the resolved windows beside the trainer's holdout.
 */
const DAY = 86_400_000;
const goal = { type: "Order Completed", filters: [] };

async function publish(project: TestProject, ownerKind: "prediction" | "recommendation", ownerId: string, bytes: Uint8Array, metadata: object) {
  const res = await admin(`/projects/${project.id}/models`, {
    method: "POST",
    body: JSON.stringify({ owner_kind: ownerKind, owner_id: ownerId, model: btoa(String.fromCharCode(...bytes)), metadata }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ id: string }>()).id;
}

async function send(project: TestProject, events: object[]) {
  const res = await upload({ api_key: project.apiKey, events }, "/batch");
  expect(res.status, await res.clone().text()).toBe(200);
}

const stubOf = (project: TestProject, id: string) => env.USER_PROFILE.getByName(profileObjectName(project.id, user(id)));

/** Runs a profile's served-window work now; `end` first moves its windows' end past the grace (time passing). */
async function runOutcomes(project: TestProject, id: string, end = false) {
  const stub = stubOf(project, id);
  await runInDurableObject(stub, (_, s) => {
    if (end) s.storage.sql.exec("UPDATE served_windows SET body = json_set(body, '$.window.closes_at', ?)", Date.now() - OUTCOME_GRACE_MS - 1);
    s.storage.sql.exec("UPDATE due_work SET due_at = 0 WHERE kind = 'outcomes'");
  });
  await runDurableObjectAlarm(stub);
}

async function served(project: TestProject, ownerId: string, modelId: string): Promise<ServedView | null> {
  const res = await admin(`/projects/${project.id}/models?owner_id=${ownerId}`);
  expect(res.status).toBe(200);
  const body = await res.json<{ models: { id: string; served: ServedView | null }[] }>();
  return body.models.find((m) => m.id === modelId)!.served;
}

describe("served quality", () => {
  it("a prediction's served scores and the goals users reached after them give its AUC, log loss and calibration", async () => {
    const project = await createProject("served-pred");
    const predictionId = await create(project.id, "predictions", { name: "Buys again", definition: { goal: { event: goal }, horizon_days: 30 } });
    const spec = defaultFeatures(goal, "revenue", []);
    const weights = featureNames(spec).map((f) => (f === "goal_count" ? 0.8 : f === "days_since_last_goal" ? -0.03 : 0));
    const modelId = await publish(project, "prediction", predictionId, logisticOnnx({ weights, bias: -1.5, featureNames: featureNames(spec) }), {
      feature_spec: spec,
      quantiles: Array.from({ length: 101 }, (_, i) => i / 100),
      metrics: { auc: 0.7 },
    });
    const ids = Array.from({ length: 12 }, (_, i) => `sq-user-${i}`);
    const now = Date.now();
    // i orders each, the last one i days ago: twelve distinct scores.
    await send(
      project,
      ids.flatMap((id, i) => [
        { user_id: id, event_type: "Viewed", time: now - 40 * DAY, insert_id: `${id}-v` },
        ...Array.from({ length: i }, (_, k) => ({ user_id: id, event_type: "Order Completed", time: now - (i + 3 * k) * DAY, insert_id: `${id}-o${k}` })),
      ]),
    );

    const scores: number[] = [];
    for (const id of ids) {
      const res = await call(`/v1/userprofile?user_id=${id}&get_propensity=true&prediction_id=${predictionId}&propensity_type=score`, {
        headers: { authorization: `Api-Key ${project.secretKey}` },
      });
      scores.push((await res.json<{ userData: { propensity: number } }>()).userData.propensity);
      await runOutcomes(project, id);
    }
    expect(new Set(scores).size).toBe(ids.length);
    const opened = await served(project, predictionId, modelId);
    expect(opened).toMatchObject({ resolved: 0, open: ids.length, prediction: null });
    expect(opened!.next_resolution_at).toBeGreaterThan(now + 29 * DAY);

    // What users did next: some order inside the window; one order is a late arrival dated before it opened.
    const buyers = new Set(["sq-user-1", "sq-user-4", "sq-user-5", "sq-user-8", "sq-user-10", "sq-user-11"]);
    const after = Date.now() + 1_000;
    await send(
      project,
      [...buyers].map((id) => ({ user_id: id, event_type: "Order Completed", time: after, insert_id: `${id}-next` })),
    );
    await send(project, [{ user_id: "sq-user-2", event_type: "Order Completed", time: now - 2 * DAY - 1, insert_id: "sq-2-late" }]);
    for (const id of ids) await runOutcomes(project, id, true);

    const labels = ids.map((id) => (buyers.has(id) ? 1 : 0));
    const q = await served(project, predictionId, modelId);
    expect(q).toMatchObject({ resolved: ids.length, open: 0 });
    expect(q!.prediction!.users).toBe(ids.length);
    expect(q!.prediction!.positive_rate).toBeCloseTo(buyers.size / ids.length, 12);
    expect(q!.prediction!.auc).toBeCloseTo(auc(scores, labels), 2);
    expect(q!.prediction!.log_loss).toBeCloseTo(logLoss(scores, labels), 9);
    const exact = calibration(scores, labels);
    expect(q!.prediction!.calibration.map((d) => d.count)).toEqual(exact.map((d) => d.count));
    q!.prediction!.calibration.forEach((d, i) => {
      expect(d.predicted).toBeCloseTo(exact[i]!.predicted, 6);
      expect(d.actual).toBeCloseTo(exact[i]!.actual, 6);
    });

    // The next answer after a window resolved opens the next one.
    await send(project, [{ user_id: "sq-user-3", event_type: "Viewed", time: Date.now(), insert_id: "sq-3-again" }]);
    await runOutcomes(project, "sq-user-3");
    expect(await served(project, predictionId, modelId)).toMatchObject({ resolved: ids.length, open: 1 });

    // A retrained version is measured on its own answers, beside the old version's open window.
    const retrained = await publish(
      project,
      "prediction",
      predictionId,
      logisticOnnx({ weights: weights.map((w) => w / 2), bias: -1, featureNames: featureNames(spec) }),
      {
        feature_spec: spec,
        quantiles: Array.from({ length: 101 }, (_, i) => i / 100),
        metrics: {},
      },
    );
    await call(`/v1/userprofile?user_id=sq-user-3&get_propensity=true&prediction_id=${predictionId}`, {
      headers: { authorization: `Api-Key ${project.secretKey}` },
    });
    await runOutcomes(project, "sq-user-3");
    const fresh = await served(project, predictionId, retrained);
    expect(fresh).toMatchObject({ resolved: 0, prediction: null });
    expect(fresh!.open).toBeGreaterThanOrEqual(1); // sq-user-3's, and any profile the publish's backfill re-scored already
    expect(await served(project, predictionId, modelId)).toMatchObject({ resolved: ids.length, open: 1 });
  });

  it("a recommendation's served lists and the items users took after them give its hit rate and NDCG", async () => {
    const project = await createProject("served-recs");
    const recId = await create(project.id, "recommendations", {
      name: "Next buys",
      definition: { item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 3 },
    });
    const catalog = ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"];
    const embeddings = catalog.flatMap((id) => (id[0] === "a" ? [1 - Number(id[1]) * 0.01, 0] : [0, 1 - Number(id[1]) * 0.01]));
    const modelId = await publish(project, "recommendation", recId, recommenderOnnx({ embeddings, rank: 2, bias: new Array(catalog.length).fill(0) }), {
      items: catalog.map((id) => ({ id, props: {} })),
      popular: [...catalog.keys()],
      metrics: {},
    });
    let t = Date.now() - DAY;
    const buy = (id: string, ...items: string[]) =>
      send(
        project,
        items.map((p) => ({ user_id: id, event_type: "Product Purchased", time: t++, event_properties: { product_id: p } })),
      );
    const list = async (id: string) => {
      const res = await call(`/v1/userprofile?user_id=${id}&rec_id=${recId}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
      const rec = (await res.json<{ userData: { recommendations: { items: string[]; recommendation_source: string }[] } }>()).userData.recommendations[0]!;
      await runOutcomes(project, id);
      return rec;
    };
    await buy("rec-user-1", "a0");
    await buy("rec-user-2", "b0");
    await buy("rec-user-3", "a0");
    // Answers nobody was shown are not measured: an admin preview, a forced variant, exposure=false.
    expect((await admin(`/projects/${project.id}/recommendations/${recId}/preview?user_id=rec-user-1`)).status).toBe(200);
    for (const extra of ["&exposure=false", "&rec_type=popular"]) {
      const res = await call(`/v1/userprofile?user_id=rec-user-1&rec_id=${recId}${extra}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
      expect(res.status).toBe(200);
    }
    await runOutcomes(project, "rec-user-1");
    expect(await served(project, recId, modelId)).toBeNull();
    expect(await list("rec-user-1")).toMatchObject({ items: ["a1", "a2", "a3"], recommendation_source: "model" });
    expect((await list("rec-user-2")).items).toEqual(["b1", "b2", "b3"]);
    expect((await list("rec-user-3")).items).toEqual(["a1", "a2", "a3"]);
    expect(await served(project, recId, modelId)).toMatchObject({ resolved: 0, open: 3 });

    t = Date.now() + 1_000;
    await buy("rec-user-1", "a2", "b0"); // a listed item (rank 2) and a new one not listed: relevant 2, one hit
    await buy("rec-user-2", "a0"); // new to r2, not listed: relevant, a miss
    await buy("rec-user-3", "a0"); // bought before the list: not new, so this user took nothing relevant
    for (const id of ["rec-user-1", "rec-user-2", "rec-user-3"]) await runOutcomes(project, id, true);

    const q = await served(project, recId, modelId);
    expect(q).toMatchObject({ resolved: 3, open: 0 });
    const expected = { lists: 3, users: 2, hit_rate: 0.5 };
    expect(q!.recommendation!.all).toMatchObject(expected);
    expect(q!.recommendation!.all.ndcg).toBeCloseTo(listNdcg([1], 2, 3) / 2, 12);
    expect(q!.recommendation!.by_source.model).toMatchObject(expected);

    // A deleted user's served windows are personal data: they leave with the user.
    const created = await admin(`/projects/${project.id}/deletions`, { method: "POST", body: JSON.stringify({ user_ids: ["rec-user-1"] }) });
    expect(created.status).toBe(202);
    const jobId = (await created.json<{ id: string }>()).id;
    for (let i = 0; i < 20 && (await (await admin(`/projects/${project.id}/deletions/${jobId}`)).json<{ status: string }>()).status !== "done"; i++) {
      await runDurableObjectAlarm(env.PROJECT_JOBS.getByName(project.id));
    }
    const left = await env.DB.prepare("SELECT profile_key FROM served_outcomes WHERE project_id = ? ORDER BY profile_key")
      .bind(project.id)
      .all<{ profile_key: string }>();
    expect(left.results.map((r) => r.profile_key)).toEqual(["u:rec-user-2", "u:rec-user-3"]);
    const exposed = await env.DB.prepare("SELECT profile_key FROM rec_exposures WHERE project_id = ? ORDER BY profile_key")
      .bind(project.id)
      .all<{ profile_key: string }>();
    expect(exposed.results.map((r) => r.profile_key)).toEqual(["u:rec-user-2", "u:rec-user-3"]);
    expect((await served(project, recId, modelId))!.recommendation!.all).toMatchObject({ lists: 2, users: 1, hit_rate: 0 });
  });
});
