import { beforeAll, describe, expect, it } from "vitest";
import { recommenderOnnx } from "../../src/train/onnx/recommender";
import { admin, call, createProject, upload, type TestProject } from "./helpers";

/**
 * A two-taste catalogue served by a real ONNX model in workerd: tea items a0…a5 share one
 * direction, garden items b0…b5 another (earlier items slightly stronger). Popularity
 * runs the other way (b5 first), so model answers and baselines are easy to tell apart.
 */
const ids = [..."012345"].map((i) => `a${i}`).concat([..."012345"].map((i) => `b${i}`));
const items = ids.map((id) => ({
  id,
  props: { name: `${id[0] === "a" ? "Tea" : "Spade"} no. ${id[1]}`, price: id === "a3" ? 500 : 5, category: id[0] === "a" ? "tea" : "garden" },
}));
const embeddings = ids.flatMap((id) => {
  const strength = 1 - Number(id[1]) * 0.01;
  return id[0] === "a" ? [strength, 0] : [0, strength];
});
const popular = [...ids.keys()].reverse();

const definition = (extra: object = {}) => ({
  item: { event: { type: "Product Purchased" }, property: "product_id" },
  count: 4,
  exclude: { items: ["a2"], where: [{ property: "price", op: "lt", value: 100 }] },
  ...extra,
});

async function setup(projectId: string, extra: object = {}): Promise<{ project: TestProject; recId: string }> {
  const project = await createProject(projectId);
  const created = await admin(`/projects/${project.id}/recommendations`, {
    method: "POST",
    body: JSON.stringify({ name: "Next buys", definition: definition(extra) }),
  });
  expect(created.status).toBe(201);
  const recId = (await created.json<{ id: string }>()).id;
  const bytes = recommenderOnnx({ embeddings, rank: 2, bias: new Array(ids.length).fill(0) });
  const published = await admin(`/projects/${project.id}/models`, {
    method: "POST",
    body: JSON.stringify({
      owner_kind: "recommendation",
      owner_id: recId,
      model: btoa(String.fromCharCode(...bytes)),
      metadata: { items, popular, metrics: {} },
    }),
  });
  expect(published.status).toBe(201);
  return { project, recId };
}

let t = Date.now() - 60_000;
async function buy(project: TestProject, userId: string, ...products: string[]) {
  const events = products.map((p) => ({ user_id: userId, event_type: "Product Purchased", time: t++, event_properties: { product_id: p } }));
  expect((await upload({ api_key: project.apiKey, events })).status).toBe(200);
}

type Rec = { rec_id: string; items: string[]; is_control: boolean; recommendation_source: string; last_updated: number | null };
async function recsOf(project: TestProject, userId: string, recId: string, extra = ""): Promise<Rec> {
  const res = await call(`/v1/userprofile?user_id=${userId}&rec_id=${recId}${extra}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
  expect(res.status).toBe(200);
  return (await res.json<{ userData: { recommendations: Rec[] } }>()).userData.recommendations[0]!;
}

describe("recommendations served at the edge", () => {
  let project: TestProject;
  let recId: string;
  beforeAll(async () => {
    ({ project, recId } = await setup("recs"));
  });

  it("ranks by the user's history, never showing bought, listed or filtered-out items", async () => {
    await buy(project, "tea-lover", "a0", "a5");
    const rec = await recsOf(project, "tea-lover", recId);
    expect(rec).toMatchObject({ rec_id: recId, is_control: false, recommendation_source: "model" });
    // a1, a4 (tea, strongest first) then garden; a0/a5 bought, a2 listed, a3 costs too much.
    expect(rec.items).toEqual(["a1", "a4", "b0", "b1"]);
    expect(rec.last_updated).toBeGreaterThan(0);
  });

  it("changes right after an event", async () => {
    await buy(project, "switcher", "a0");
    const before = await recsOf(project, "switcher", recId);
    expect(before.items.slice(0, 2)).toEqual(["a1", "a4"]);
    await buy(project, "switcher", "b0", "b1", "b2");
    const after = await recsOf(project, "switcher", recId);
    // Garden now outweighs tea three to one.
    expect(after.items).toEqual(["b3", "b4", "b5", "a1"]);
  });

  it("gives cold users (no item history) and unknown visitors the popular fallback", async () => {
    expect((await upload({ api_key: project.apiKey, events: [{ user_id: "browser", event_type: "Page Viewed", time: t++ }] })).status).toBe(200);
    const cold = await recsOf(project, "browser", recId);
    expect(cold).toMatchObject({ recommendation_source: "popular_fallback", is_control: false, items: ["b5", "b4", "b3", "b2"] });

    const settings = await admin(`/projects/${project.id}/settings`, { method: "PUT", body: JSON.stringify({ personalize: { recommendations: [recId] } }) });
    expect(settings.status).toBe(200);
    const res = await call(`/v1/personalize?api_key=${project.apiKey}&device_id=never-seen`);
    expect(res.status).toBe(200);
    const body = await res.json<{ recommendations: Rec[] }>();
    expect(body.recommendations).toEqual([{ rec_id: recId, items: ["b5", "b4", "b3", "b2"], is_control: false, recommendation_source: "popular_fallback" }]);
  });

  it("honours rec_type overrides and rejects unknown ones by name", async () => {
    const random = await recsOf(project, "tea-lover", recId, "&rec_type=random");
    expect(random).toMatchObject({ is_control: true, recommendation_source: "random" });
    expect(random.items).toHaveLength(4);
    for (const item of random.items) expect(["a0", "a5", "a2", "a3"]).not.toContain(item);
    expect(await recsOf(project, "tea-lover", recId, "&rec_type=random")).toEqual({ ...random, last_updated: expect.any(Number) });
    const bad = await call(`/v1/userprofile?user_id=tea-lover&rec_id=${recId}&rec_type=best`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("rec_type");
  });

  it("previews a user's list in the admin API and shows it in the user lookup", async () => {
    const preview = await admin(`/projects/${project.id}/recommendations/${recId}/preview?user_id=tea-lover`);
    const previewed = await preview.json<Rec & { item_details: { id: string; label: string | null; props: Record<string, unknown> }[] }>();
    expect(previewed).toMatchObject({ rec_id: recId, items: ["a1", "a4", "b0", "b1"], recommendation_source: "model" });
    // Each item named from the active model's catalogue (its last seen item-event properties).
    expect(previewed.item_details.map((d) => [d.id, d.label])).toEqual([
      ["a1", "Tea no. 1"],
      ["a4", "Tea no. 4"],
      ["b0", "Spade no. 0"],
      ["b1", "Spade no. 1"],
    ]);
    expect(previewed.item_details[0]!.props).toEqual({ name: "Tea no. 1", price: 5, category: "tea" });
    const popular = await admin(`/projects/${project.id}/recommendations/${recId}/preview?user_id=tea-lover&rec_type=popular`);
    expect(await popular.json()).toMatchObject({ items: ["b5", "b4", "b3", "b2"], is_control: true });
    expect((await admin(`/projects/${project.id}/recommendations/${recId}/preview?user_id=nobody-at-all`)).status).toBe(404);
    const lookup = await (await admin(`/projects/${project.id}/users?user_id=tea-lover`)).json<{
      recommendations: (Rec & { item_details: { label: string | null }[] })[];
    }>();
    expect(lookup.recommendations.map((r) => [r.rec_id, r.items])).toEqual([[recId, ["a1", "a4", "b0", "b1"]]]);
    expect(lookup.recommendations[0]!.item_details.map((d) => d.label)).toEqual(["Tea no. 1", "Tea no. 4", "Spade no. 0", "Spade no. 1"]);
  });

  it("answers an unknown rec_id with an empty list", async () => {
    expect(await recsOf(project, "tea-lover", "rec_nope")).toMatchObject({ rec_id: "rec_nope", items: [], recommendation_source: "none" });
  });
});

describe("control group", () => {
  it("puts a stable share of users on the baseline, marked is_control", async () => {
    const { project, recId } = await setup("recs-control", { control: { percent: 50, strategy: "popular" } });
    const users = Array.from({ length: 12 }, (_, i) => `shopper-${i}`);
    for (const u of users) await buy(project, u, "a0");
    const first = await Promise.all(users.map((u) => recsOf(project, u, recId)));
    const control = first.filter((r) => r.is_control);
    const treated = first.filter((r) => !r.is_control);
    expect(control.length).toBeGreaterThan(0);
    expect(treated.length).toBeGreaterThan(0);
    for (const r of control) expect(r).toMatchObject({ recommendation_source: "popular", items: ["b5", "b4", "b3", "b2"] });
    for (const r of treated) expect(r).toMatchObject({ recommendation_source: "model", items: ["a1", "a4", "a5", "b0"] });
    // The split never moves for a user.
    const again = await Promise.all(users.map((u) => recsOf(project, u, recId)));
    expect(again.map((r) => r.is_control)).toEqual(first.map((r) => r.is_control));
  });
});

describe("a goal other than the item event", () => {
  it("hides items the user converted on (not those only viewed, with interacted off), in the profile API and personalize", async () => {
    const { project, recId } = await setup("recs-goal", {
      item: { event: { type: "Product Viewed" }, property: "product_id" },
      goal: { event: { type: "Product Purchased" } },
      exclude: { interacted: false, converted: true, items: ["a2"], where: [{ property: "price", op: "lt", value: 100 }] },
    });
    const events = [
      { device_id: "tab-1", event_type: "Product Viewed", time: t++, event_properties: { product_id: "a0" } },
      { device_id: "tab-1", event_type: "Product Viewed", time: t++, event_properties: { product_id: "a1" } },
      { device_id: "tab-1", event_type: "Product Purchased", time: t++, event_properties: { product_id: "a1" } },
    ];
    expect((await upload({ api_key: project.apiKey, events })).status).toBe(200);
    // a1 was bought (the goal): hidden; a0 was only viewed: shown, strongest first.
    const expected = { rec_id: recId, items: ["a0", "a4", "a5", "b0"], is_control: false, recommendation_source: "model" };
    const res = await call(`/v1/userprofile?device_id=tab-1&rec_id=${recId}`, { headers: { authorization: `Api-Key ${project.secretKey}` } });
    expect((await res.json<{ userData: { recommendations: Rec[] } }>()).userData.recommendations[0]).toMatchObject(expected);

    const settings = await admin(`/projects/${project.id}/settings`, { method: "PUT", body: JSON.stringify({ personalize: { recommendations: [recId] } }) });
    expect(settings.status).toBe(200);
    const page = await call(`/v1/personalize?api_key=${project.apiKey}&device_id=tab-1`);
    expect(page.status).toBe(200);
    expect((await page.json<{ recommendations: Rec[] }>()).recommendations).toEqual([expected]);
  });
});

describe("a model with a repeat component (repeats allowed)", () => {
  it("serves the profile's own items raised by how often it took them, as the graph's counts input", async () => {
    const project = await createProject("recs-repeat");
    const created = await admin(`/projects/${project.id}/recommendations`, {
      method: "POST",
      body: JSON.stringify({
        name: "Buy again",
        definition: { item: { event: { type: "Product Purchased" }, property: "product_id" }, count: 3, exclude: { interacted: false, converted: false } },
      }),
    });
    const recId = (await created.json<{ id: string }>()).id;
    const repeat = { base: 1, perCount: 1, item: new Array(ids.length).fill(0) };
    const bytes = recommenderOnnx({ embeddings, rank: 2, bias: new Array(ids.length).fill(0), repeat });
    const published = await admin(`/projects/${project.id}/models`, {
      method: "POST",
      body: JSON.stringify({
        owner_kind: "recommendation",
        owner_id: recId,
        model: btoa(String.fromCharCode(...bytes)),
        metadata: { items, popular, metrics: {} },
      }),
    });
    expect(published.status).toBe(201);
    // b5 three times, a0 once: b5 leads on its count (1 + log 4 over a0's 1 + log 2), then the best unseen item, a1.
    await buy(project, "regular", "b5", "b5", "b5", "a0");
    expect((await recsOf(project, "regular", recId)).items).toEqual(["b5", "a0", "a1"]);
  });
});
