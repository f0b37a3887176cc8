import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { archivePrefix, dedupeArchived, parseNdjson } from "../../src/core/archive";
import { profileObjectName, type ProfileRef, type TailorEvent } from "../../src/core/event";
import { defaultFeatures, featureNames } from "../../src/core/features";
import { readConfig } from "../../src/core/config";
import { predict } from "../../src/train/model/logistic-regression";
import { logisticOnnx } from "../../src/train/onnx/logistic";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { SnapshotBuilder } from "../../src/train/snapshots";
import { admin, call, create, createProject, device, profile, upload, user, type TestProject } from "./helpers";

/**
 * Train/serve skew where it appears: histories longer than EVENT_RETENTION_DAYS, archived
 * and pruned from the profiles, and a model (and a recommendation) defined only after
 * that. Every profile must then serve what the trainer computes from the whole archive.
 */
const DAY = 86_400_000;
const RETENTION_DAYS = readConfig(env).retentionMs / DAY;
const goal = { type: "Order Completed", filters: [] };
const spec = defaultFeatures(goal, "revenue", ["Product Purchased"]);
// All-time features weigh most: a profile that lost its old events scores visibly lower.
const weights = featureNames(spec).map((f) => ({ goal_count: 1.2, goal_value: 0.3, days_since_first_event: 0.01, days_since_last_goal: -0.02 })[f] ?? 0.05);
const bias = -3;
const catalog = ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"];

let project: TestProject;
let predictionId: string;
const now = Date.now();
let seq = 0;

/** Orders spread over `spanDays` back from `endDaysAgo`, each with one product line. */
function orders(ref: { user_id?: string; device_id?: string }, count: number, spanDays: number, endDaysAgo: number, product: (i: number) => string) {
  return Array.from({ length: count }, (_, i) => {
    const time = Math.round(now - (endDaysAgo + (spanDays * (count - 1 - i)) / Math.max(1, count - 1)) * DAY);
    const n = ++seq;
    return [
      { ...ref, event_type: "Product Purchased", time, insert_id: `line-${n}`, event_properties: { product_id: product(i), revenue: 5 + (n % 7) } },
      { ...ref, event_type: "Order Completed", time, insert_id: `order-${n}`, event_properties: { revenue: 10 + (n % 13) } },
    ];
  }).flat();
}

const stubOf = (ref: ProfileRef) => env.USER_PROFILE.getByName(profileObjectName(project.id, ref));

/** Runs the profile's alarm until its history is archived and what is past retention pruned. */
async function archiveAndPrune(ref: ProfileRef) {
  const stub = stubOf(ref);
  for (let i = 0; i < 3; i++) {
    await runInDurableObject(stub, (_, s) => s.storage.sql.exec("UPDATE due_work SET due_at = 0 WHERE kind IN ('archive', 'prune')"));
    await runDurableObjectAlarm(stub);
  }
}

async function send(events: object[]) {
  const res = await upload({ api_key: project.apiKey, events }, "/batch");
  expect(res.status, await res.clone().text()).toBe(200);
}

/** The archive as the trainer reads it: every object, repeats dropped, in time order. */
async function archivedEvents(): Promise<TailorEvent[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.ARCHIVE.list({ prefix: archivePrefix(project.id), ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  const events = (await Promise.all(keys.map(async (k) => parseNdjson(new TextDecoder().decode(await (await env.ARCHIVE.get(k))!.arrayBuffer()))))).flat();
  return dedupeArchived(events).sort((a, b) => a.time - b.time);
}

const users = ["long-1", "long-2", "long-3", "recent-only", "linked"];

beforeAll(async () => {
  project = await createProject("skew");
  predictionId = await create(project.id, "predictions", { name: "Buys again", definition: { goal: { event: goal }, horizon_days: 30 } });
  // Histories reaching far past retention (up to 400 days), one only within it.
  await send(orders({ user_id: "long-1" }, 12, 380, 2, (i) => catalog[i % 2]!));
  await send(orders({ user_id: "long-2" }, 5, 300, 100, () => "a0"));
  await send(orders({ user_id: "long-3" }, 30, 400, 20, (i) => catalog[4 + (i % 4)]!));
  await send(orders({ user_id: "recent-only" }, 3, 40, 1, () => "b1"));
  // An anonymous device with old orders, pruned before a user is seen with it.
  await send(orders({ device_id: "device-of-linked" }, 6, 200, 150, () => "a1"));
  await archiveAndPrune(device("device-of-linked"));
  await send(orders({ user_id: "linked", device_id: "device-of-linked" }, 2, 10, 5, () => "b2"));
  for (const id of users) await archiveAndPrune(user(id));
});

describe("no train/serve skew after history ages out of the profiles", () => {
  it("the profiles no longer keep their old events, the archive does", async () => {
    for (const id of ["long-1", "long-3", "linked"]) {
      const kept = await profile(project.id, user(id)).getEvents(10_000);
      expect(kept.length, id).toBeGreaterThan(0);
      expect(Math.min(...kept.map((e) => e.time)), id).toBeGreaterThan(now - RETENTION_DAYS * DAY - DAY);
    }
    // long-2's last order was 100 days ago: it keeps nothing.
    expect(await profile(project.id, user("long-2")).getEvents(10_000)).toEqual([]);
    expect((await archivedEvents()).length).toBe(2 * (12 + 5 + 30 + 3 + 6 + 2));
  });

  it("a model published afterwards scores every profile exactly as the trainer does from the whole archive", async () => {
    const bytes = logisticOnnx({ weights, bias, featureNames: featureNames(spec) });
    const published = await admin(`/projects/${project.id}/models`, {
      method: "POST",
      body: JSON.stringify({
        owner_kind: "prediction",
        owner_id: predictionId,
        model: btoa(String.fromCharCode(...bytes)),
        metadata: { feature_spec: spec, quantiles: [0, 0.5, 1] },
      }),
    });
    expect(published.status).toBe(201);
    const archive = await archivedEvents();
    for (const id of users) {
      const served = (await profile(project.id, user(id)).read(false))!.scores[predictionId]!;
      expect(served, id).toBeDefined();
      // The trainer's own path: its snapshot builder over the archive, at the served instant.
      const builder = new SnapshotBuilder(spec, goal, 30 * DAY, [served.at]);
      builder.add(archive.filter((e) => e.time <= served.at));
      const row = builder.finish().find((r) => r.userId === id)!;
      expect(Math.abs(served.score - predict({ weights, bias }, row.x)), id).toBeLessThan(1e-5);
      const api = await call(`/v1/userprofile?user_id=${id}&get_propensity=true&prediction_id=${predictionId}`, {
        headers: { authorization: `Api-Key ${project.secretKey}` },
      });
      expect((await api.json<{ userData: { propensity: number } }>()).userData.propensity, id).toBeCloseTo(served.score, 6);
    }
  });

  it("a computed property and a cohort defined afterwards count every purchase in the archive", async () => {
    const computationId = await create(project.id, "computations", {
      name: "Orders ever",
      definition: { event: goal, aggregate: "count", window: { kind: "all" } },
    });
    const cohortId = await create(project.id, "cohorts", {
      name: "Ordered at least 5 times",
      definition: { type: "behavioral", match: { performed: { event: goal, op: ">=", value: 5, window: { kind: "all" } } } },
    });
    const archive = await archivedEvents();
    for (const id of users) {
      // The user's own orders and those of the device linked to it (archived under the device id, merged into the user).
      const ids = id === "linked" ? [id, "device-of-linked"] : [id];
      const orders = archive.filter((e) => e.event_type === goal.type && (ids.includes(e.user_id ?? "") || ids.includes(e.device_id ?? ""))).length;
      const view = (await profile(project.id, user(id)).getSegments())!;
      expect(view.computations[computationId], id).toBe(orders);
      expect(view.cohort_ids.includes(cohortId), id).toBe(orders >= 5);
    }
  });

  it("a recommendation defined afterwards knows every item the user ever took", async () => {
    const recId = await create(project.id, "recommendations", {
      name: "Next buys",
      definition: { item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 2 },
    });
    const embeddings = catalog.flatMap((id) => (id[0] === "a" ? [1 - Number(id[1]) * 0.01, 0] : [0, 1 - Number(id[1]) * 0.01]));
    const bytes = recommenderOnnx({ embeddings, rank: 2, bias: new Array(catalog.length).fill(0) });
    const published = await admin(`/projects/${project.id}/models`, {
      method: "POST",
      body: JSON.stringify({
        owner_kind: "recommendation",
        owner_id: recId,
        model: btoa(String.fromCharCode(...bytes)),
        metadata: { items: catalog.map((id) => ({ id, props: {} })), popular: [4, 5, 6, 7, 0, 1, 2, 3], metrics: {} },
      }),
    });
    expect(published.status).toBe(201);
    const recs = async (id: string) => {
      const res = await call(`/v1/userprofile?user_id=${id}&rec_id=${recId}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
      return (await res.json<{ userData: { recommendations: { items: string[]; recommendation_source: string }[] } }>()).userData.recommendations[0]!;
    };
    // long-2 bought only a0, long ago: a model answer (not the cold fallback), tea, a0 excluded.
    expect(await recs("long-2")).toEqual(expect.objectContaining({ recommendation_source: "model", items: ["a1", "a2"] }));
    // linked: a1 on its device (pruned there before the link), b2 since: the strongest tea and garden items.
    expect((await recs("linked")).items).toEqual(["a0", "b0"]);
  });
});
