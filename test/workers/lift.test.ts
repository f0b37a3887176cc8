import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { profileKey, profileObjectName } from "../../src/core/event";
import { liftReport } from "../../src/core/lift";
import { inControl } from "../../src/core/recommendations/select";
import type { RecommendationPerformance } from "../../src/edge/lift-store";
import { forgetDefinitions } from "../../src/durable/definitions-cache";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { admin, call, create, createProject, upload, user, type TestProject } from "./helpers";

/**
 * Lift through the serving path: users shown a recommendation (treatment or its control
 * share) are exposed once, whatever how often they read it; their goal events inside the
 * attribution window are conversions, with their value; the performance API compares
 * the arms as core/lift.ts does.
 */
const DAY = 86_400_000;
const catalog = ["a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"];

async function send(project: TestProject, events: object[]) {
  const res = await upload({ api_key: project.apiKey, events }, "/batch");
  expect(res.status, await res.clone().text()).toBe(200);
}

/** Writes the profile's exposures to D1 now (its due work); `end` first moves their windows' end into the past. */
async function flush(project: TestProject, id: string, end = false) {
  const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user(id)));
  await runInDurableObject(stub, (_, s) => {
    if (end) s.storage.sql.exec("UPDATE served_windows SET body = json_set(body, '$.window.closes_at', ?)", Date.now() - 2 * 3_600_000);
    s.storage.sql.exec("UPDATE due_work SET due_at = 0 WHERE kind = 'outcomes'");
  });
  await runDurableObjectAlarm(stub);
}

describe("lift of a recommendation", () => {
  it("exposes each shown user once, in its arm; counts conversions and value in the attribution window; reports the arms", async () => {
    const project = await createProject("lift");
    const recId = await create(project.id, "recommendations", {
      name: "Next buys",
      definition: { item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 3, control: { percent: 50 }, attribution: { days: 7 } },
    });
    const embeddings = catalog.flatMap((id) => (id[0] === "a" ? [1 - Number(id[1]) * 0.01, 0] : [0, 1 - Number(id[1]) * 0.01]));
    const published = await admin(`/projects/${project.id}/models`, {
      method: "POST",
      body: JSON.stringify({ owner_kind: "recommendation", owner_id: recId, model: btoa(String.fromCharCode(...recommenderOnnx({ embeddings, rank: 2, bias: new Array(catalog.length).fill(0) }))), metadata: { items: catalog.map((id) => ({ id, props: {} })), popular: [7, 6, 5, 4, 3, 2, 1, 0], metrics: {} } }),
    });
    expect(published.status).toBe(201);
    forgetDefinitions(project.id);

    // Few users and reads: the tests' profile API limit is 40 requests a minute per project.
    const ids = Array.from({ length: 16 }, (_, i) => `lift-user-${i}`);
    const before = Date.now() - DAY;
    await send(project, ids.map((id, i) => ({ user_id: id, event_type: "Product Purchased", time: before + i, event_properties: { product_id: i % 2 ? "a0" : "b0" } })));
    const read = async (id: string) => {
      const res = await call(`/v1/userprofile?user_id=${id}&rec_id=${recId}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json<{ userData: { recommendations: { is_control: boolean; recommendation_source: string }[] } }>()).userData.recommendations[0]!;
    };
    for (const [i, id] of ids.entries()) {
      const first = await read(id);
      expect(first.is_control).toBe(inControl(recId, profileKey(user(id)), 50));
      if (i < 4) await read(id); // read again: still one exposure
      await flush(project, id);
    }
    const control = new Set(ids.filter((id) => inControl(recId, profileKey(user(id)), 50)));
    expect(control.size).toBeGreaterThan(2);
    expect(control.size).toBeLessThan(14);

    // Every third user buys after being shown (revenue 10 each line, two lines); one more event is a late one dated before the exposure.
    const buyers = ids.filter((_, i) => i % 3 === 0);
    const after = Date.now() + 1_000;
    await send(project, buyers.flatMap((id, k) => [
      { user_id: id, event_type: "Product Purchased", time: after, insert_id: `${id}-x1`, event_properties: { product_id: "a1", revenue: 10 } },
      { user_id: id, event_type: "Product Purchased", time: after + 1, insert_id: `${id}-x2`, event_properties: { product_id: k % 2 ? "b2" : "a3", revenue: 10 } },
    ]));
    await send(project, [{ user_id: "lift-user-1", event_type: "Product Purchased", time: before - DAY, insert_id: "late", event_properties: { product_id: "a2", revenue: 99 } }]);
    for (const id of buyers) await flush(project, id);

    const perf = await (await admin(`/projects/${project.id}/recommendations/${recId}/performance`)).json<RecommendationPerformance & { attribution: { days: number } }>();
    expect(perf.attribution.days).toBe(7);
    const arm = (inArm: (id: string) => boolean) => {
      const users = ids.filter(inArm);
      const converted = buyers.filter(inArm).length;
      return { users: users.length, conversions: converted, value: { sum: 20 * converted, sum_squares: 400 * converted } };
    };
    const treatment = arm((id) => !control.has(id));
    const controlArm = arm((id) => control.has(id));
    expect(perf.report).toEqual(liftReport(treatment, controlArm));
    expect(perf.report.treatment).toMatchObject({ users: treatment.users, conversions: treatment.conversions });
    expect(perf.report.treatment.value_per_user!.estimate).toBeCloseTo((20 * treatment.conversions) / treatment.users, 12);
    expect(perf.daily).toEqual([{ day: new Date().toISOString().slice(0, 10), treatment: { users: treatment.users, conversions: treatment.conversions }, control: { users: controlArm.users, conversions: controlArm.conversions } }]);

    // After the attribution window a purchase no longer converts, and the exposure is final: a new read exposes nobody again.
    const late = ids.find((id, i) => i % 3 !== 0)!;
    await flush(project, late, true);
    await send(project, [{ user_id: late, event_type: "Product Purchased", time: Date.now() + 2_000, insert_id: "too-late", event_properties: { product_id: "a1", revenue: 10 } }]);
    await read(late);
    await flush(project, late);
    const row = await env.DB.prepare("SELECT conversions, final FROM rec_exposures WHERE rec_id = ? AND profile_key = ?").bind(recId, profileKey(user(late))).first<{ conversions: number; final: number }>();
    expect(row).toEqual({ conversions: 0, final: 1 });
    const again = await (await admin(`/projects/${project.id}/recommendations/${recId}/performance`)).json<RecommendationPerformance>();
    expect(again.report.treatment.users + again.report.control.users).toBe(ids.length);
  });
});
