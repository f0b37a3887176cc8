import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { profileKey, profileObjectName } from "../../src/core/event";
import { liftReport } from "../../src/core/lift";
import { inGlobalControl } from "../../src/core/project";
import { heldOut } from "../../src/core/holdout";
import { inControl } from "../../src/core/recommendations/select";
import type { ExposurePerformance } from "../../src/edge/lift-store";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { admin, call, create, createProject, fakeDestinations, upload, user, type TestProject } from "./helpers";

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
async function flush(project: TestProject, id: string, end = false, kinds = "'outcomes'") {
  const stub = env.USER_PROFILE.getByName(profileObjectName(project.id, user(id)));
  await runInDurableObject(stub, (_, s) => {
    if (end) s.storage.sql.exec("UPDATE served_windows SET body = json_set(body, '$.window.closes_at', ?)", Date.now() - 2 * 3_600_000);
    s.storage.sql.exec(`UPDATE due_work SET due_at = 0 WHERE kind IN (${kinds})`);
  });
  await runDurableObjectAlarm(stub);
}

/** Runs a webhook sync now against the tests' fake destination: the run, and the user ids it sent. */
async function runWebhookSync(project: TestProject, sync: string) {
  const fake = fakeDestinations();
  try {
    const run = await (await admin(`/projects/${project.id}/syncs/${sync}/run`, { method: "POST" })).json<{ status: string; sent: number }>();
    return { run, sent: fake.calls.flatMap((c) => (JSON.parse(c.body) as { users: { user_id: string }[] }).users.map((u) => u.user_id)) };
  } finally {
    fake.restore();
  }
}

/** What the report must say: each group's users and buyers, every buyer's value `value` (one order each). */
function truth(ids: string[], buyers: string[], control: Set<string>, value: number) {
  const arm = (inArm: (id: string) => boolean) => {
    const converted = buyers.filter(inArm).length;
    return { users: ids.filter(inArm).length, conversions: converted, value: { sum: value * converted, sum_squares: value * value * converted } };
  };
  return { treatment: arm((id) => !control.has(id)), control: arm((id) => control.has(id)) };
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
      body: JSON.stringify({
        owner_kind: "recommendation",
        owner_id: recId,
        model: btoa(String.fromCharCode(...recommenderOnnx({ embeddings, rank: 2, bias: new Array(catalog.length).fill(0) }))),
        metadata: { items: catalog.map((id) => ({ id, props: {} })), popular: [7, 6, 5, 4, 3, 2, 1, 0], metrics: {} },
      }),
    });
    expect(published.status).toBe(201);

    // Few users and reads: the tests' profile API limit is 40 requests a minute per project.
    const ids = Array.from({ length: 16 }, (_, i) => `lift-user-${i}`);
    const before = Date.now() - DAY;
    await send(
      project,
      ids.map((id, i) => ({ user_id: id, event_type: "Product Purchased", time: before + i, event_properties: { product_id: i % 2 ? "a0" : "b0" } })),
    );
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
    await send(
      project,
      buyers.flatMap((id, k) => [
        { user_id: id, event_type: "Product Purchased", time: after, insert_id: `${id}-x1`, event_properties: { product_id: "a1", revenue: 10 } },
        {
          user_id: id,
          event_type: "Product Purchased",
          time: after + 1,
          insert_id: `${id}-x2`,
          event_properties: { product_id: k % 2 ? "b2" : "a3", revenue: 10 },
        },
      ]),
    );
    await send(project, [
      { user_id: "lift-user-1", event_type: "Product Purchased", time: before - DAY, insert_id: "late", event_properties: { product_id: "a2", revenue: 99 } },
    ]);
    for (const id of buyers) await flush(project, id);

    const perf = await (await admin(`/projects/${project.id}/recommendations/${recId}/performance`)).json<
      ExposurePerformance & { attribution: { days: number } }
    >();
    expect(perf.attribution.days).toBe(7);
    const { treatment, control: controlArm } = truth(ids, buyers, control, 20);
    expect(perf.report).toEqual(liftReport(treatment, controlArm));
    expect(perf.report.treatment).toMatchObject({ users: treatment.users, conversions: treatment.conversions });
    expect(perf.report.treatment.value_per_user!.estimate).toBeCloseTo((20 * treatment.conversions) / treatment.users, 12);
    expect(perf.daily).toEqual([
      {
        day: new Date().toISOString().slice(0, 10),
        treatment: { users: treatment.users, conversions: treatment.conversions },
        control: { users: controlArm.users, conversions: controlArm.conversions },
      },
    ]);

    // After the attribution window a purchase no longer converts, and the exposure is final: a new read exposes nobody again.
    const late = ids.find((_id, i) => i % 3 !== 0)!;
    await flush(project, late, true);
    await send(project, [
      { user_id: late, event_type: "Product Purchased", time: Date.now() + 2_000, insert_id: "too-late", event_properties: { product_id: "a1", revenue: 10 } },
    ]);
    await read(late);
    await flush(project, late);
    const row = await env.DB.prepare("SELECT conversions, final FROM rec_exposures WHERE rec_id = ? AND profile_key = ?")
      .bind(recId, profileKey(user(late)))
      .first<{ conversions: number; final: number }>();
    expect(row).toEqual({ conversions: 0, final: 1 });
    const again = await (await admin(`/projects/${project.id}/recommendations/${recId}/performance`)).json<ExposurePerformance>();
    expect(again.report.treatment.users + again.report.control.users).toBe(ids.length);
  });
});

describe("the project's global control group", () => {
  it("gets no personalization, is never synced, and measures personalization as a whole against everyone else", async () => {
    const project = await createProject("lift-global");
    const cohortId = await create(project.id, "cohorts", {
      name: "Viewers",
      definition: { type: "behavioral", match: { performed: { event: { type: "Viewed" } } } },
    });
    const recId = await create(project.id, "recommendations", {
      name: "Next buys",
      definition: { item: { event: { type: "Product Purchased" }, property: "product_id" } },
    });
    const settings = {
      personalize: { cohorts: [cohortId], recommendations: [recId], origins: ["*"] },
      global_control: { percent: 40, goal: { event: { type: "Order Completed" } }, attribution_days: 7 },
    };
    expect((await admin(`/projects/${project.id}/settings`, { method: "PUT", body: JSON.stringify(settings) })).status).toBe(200);
    const ids = Array.from({ length: 16 }, (_, i) => `global-user-${i}`);
    const control = new Set(ids.filter((id) => inGlobalControl(project.id, profileKey(user(id)), 40)));
    expect(control.size).toBeGreaterThan(1);
    expect(control.size).toBeLessThan(15);
    await send(
      project,
      ids.map((id, i) => ({ user_id: id, event_type: "Viewed", time: Date.now() - 60_000 + i })),
    );

    for (const id of ids) {
      const res = await call(`/v1/personalize?api_key=${project.apiKey}&user_id=${id}`);
      expect(res.status).toBe(200);
      const body = await res.json<{
        cohorts: Record<string, boolean>;
        recommendations: { items: string[]; is_control: boolean; recommendation_source: string }[];
        global_control?: boolean;
      }>();
      if (control.has(id)) {
        expect(body, id).toEqual({
          cohorts: { [cohortId]: false },
          computations: {},
          recommendations: [{ rec_id: recId, items: [], is_control: true, recommendation_source: "global_control" }],
          global_control: true,
        });
      } else {
        expect(body.global_control, id).toBeUndefined();
        expect(body.cohorts[cohortId], id).toBe(true);
      }
      await flush(project, id, false, "'outcomes', 'memberships', 'registry'");
    }
    const one = [...control][0]!;
    const profileRead = await (
      await call(`/v1/userprofile?user_id=${one}&rec_id=${recId}`, { headers: { authorization: `Api-Key ${project.secretKey}` } })
    ).json<{ userData: { global_control?: boolean; recommendations: { recommendation_source: string }[] } }>();
    expect(profileRead.userData).toMatchObject({ global_control: true, recommendations: [{ recommendation_source: "global_control" }] });

    // Half of each group orders afterwards, with revenue.
    const buyers = ids.filter((_, i) => i % 2 === 0);
    await send(
      project,
      buyers.map((id) => ({ user_id: id, event_type: "Order Completed", time: Date.now() + 1_000, event_properties: { revenue: 30 } })),
    );
    for (const id of buyers) await flush(project, id);
    const perf = await (await admin(`/projects/${project.id}/performance`)).json<ExposurePerformance & { global_control: { percent: number } }>();
    expect(perf.global_control.percent).toBe(40);
    const arms = truth(ids, buyers, control, 30);
    expect(perf.report).toEqual(liftReport(arms.treatment, arms.control));

    // A sync of the cohort sends everyone in it except the global control group.
    const destination = await create(project.id, "destinations", { name: "Hook", definition: { type: "webhook", url: "http://dest.test/hook" } });
    const sync = await create(project.id, "syncs", {
      name: "Viewers out",
      definition: { destination_id: destination, what: { kind: "cohort", cohort_id: cohortId }, schedule: "manual" },
    });
    const { run, sent } = await runWebhookSync(project, sync);
    expect(run).toMatchObject({ status: "succeeded", sent: ids.length - control.size });
    expect(sent.sort()).toEqual(ids.filter((id) => !control.has(id)).sort());
  });
});

describe("a sync's holdout", () => {
  it("never sends the held-out share, exposes every member entering, and compares the sent members' conversions with theirs", async () => {
    const project = await createProject("lift-sync");
    const cohortId = await create(project.id, "cohorts", {
      name: "Carts",
      definition: { type: "behavioral", match: { performed: { event: { type: "Product Added" } } } },
    });
    const destination = await create(project.id, "destinations", { name: "Hook", definition: { type: "webhook", url: "http://dest.test/hook" } });
    const sync = await create(project.id, "syncs", {
      name: "Carts to the hook",
      definition: {
        destination_id: destination,
        what: { kind: "cohort", cohort_id: cohortId },
        schedule: "manual",
        holdout: { percent: 30, goal: { event: { type: "Order Completed" } } },
      },
    });
    // 30 members: both arms hold at least two whatever the sync's (random) id hashes to, but for a chance of ~3 in 10,000.
    const ids = Array.from({ length: 30 }, (_, i) => `cart-user-${i}`);
    const held = new Set(ids.filter((id) => heldOut(`sync:${sync}`, profileKey(user(id)), 30)));
    expect(held.size).toBeGreaterThan(1);
    expect(held.size).toBeLessThan(29);
    await send(
      project,
      ids.map((id, i) => ({ user_id: id, event_type: "Product Added", time: Date.now() - 60_000 + i })),
    );
    for (const id of ids) await flush(project, id, false, "'memberships', 'registry'");

    const { run, sent } = await runWebhookSync(project, sync);
    expect(run).toMatchObject({ status: "succeeded", sent: ids.length - held.size });
    expect(sent.sort()).toEqual(ids.filter((id) => !held.has(id)).sort());
    for (const id of ids) await flush(project, id);
    // Every other member orders afterwards.
    const buyers = ids.filter((_, i) => i % 2 === 1);
    await send(
      project,
      buyers.map((id) => ({ user_id: id, event_type: "Order Completed", time: Date.now() + 1_000, event_properties: { revenue: 5 } })),
    );
    for (const id of buyers) await flush(project, id);
    const perf = await (await admin(`/projects/${project.id}/syncs/${sync}/performance`)).json<ExposurePerformance & { holdout: { percent: number } }>();
    expect(perf.holdout.percent).toBe(30);
    const arms = truth(ids, buyers, held, 5);
    expect(perf.report).toEqual(liftReport(arms.treatment, arms.control));
  });
});
