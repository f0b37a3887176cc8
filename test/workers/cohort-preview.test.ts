import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin, createProject, upload } from "./helpers";

describe("cohort size preview", () => {
  it("estimates a definition's size before it is saved, from the profiles' own events", async () => {
    const project = await createProject("preview");
    const t = Date.now() - 60_000;
    const events = [
      { user_id: "buyer-1", event_type: "Purchase", time: t, user_properties: { $set: { plan: "pro" } } },
      { user_id: "buyer-2", event_type: "Purchase", time: t + 1 },
      { user_id: "buyer-2", event_type: "Purchase", time: t + 2 },
      { user_id: "viewer-1", event_type: "Page Viewed", time: t + 3, user_properties: { $set: { plan: "pro" } } },
    ];
    expect((await upload({ api_key: project.apiKey, events })).status).toBe(200);
    // The registry of profiles (what the sample is drawn from) is written by each profile's alarm.
    for (let i = 0; i < 100; i++) {
      const n = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE project_id = ?").bind(project.id).first<{ n: number }>();
      if (n?.n === 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const preview = (definition: unknown) => admin(`/projects/${project.id}/cohorts/preview`, { method: "POST", body: JSON.stringify({ definition }) });

    const twice = await preview({ type: "behavioral", match: { performed: { event: { type: "Purchase" }, op: ">=", value: 2 } } });
    // Every profile read: the size itself.
    expect(await twice.json()).toEqual({ sampled: 3, matched: 1, estimate: 1, profiles: 3, exact: true, low: 1, high: 1 });
    const proBuyers = await preview({
      type: "behavioral",
      match: { all: [{ performed: { event: { type: "Purchase" } } }, { user_property: { property: "plan", op: "eq", value: "pro" } }] },
    });
    expect(await proBuyers.json()).toMatchObject({ matched: 1, estimate: 1 });
    // Nothing was saved.
    expect((await (await admin(`/projects/${project.id}/cohorts`)).json<{ cohorts: unknown[] }>()).cohorts).toEqual([]);

    // A sample of 2 of the 3: an estimate with its interval, which covers the true size (2 buyers).
    const anyPurchase = { type: "behavioral", match: { performed: { event: { type: "Purchase" } } } };
    const sampled = await (
      await admin(`/projects/${project.id}/cohorts/preview?sample=2`, { method: "POST", body: JSON.stringify({ definition: anyPurchase }) })
    ).json<{ sampled: number; exact: boolean; low: number; high: number; matched: number }>();
    expect(sampled).toMatchObject({ sampled: 2, exact: false });
    expect(sampled.low).toBeLessThanOrEqual(2);
    expect(sampled.high).toBeGreaterThanOrEqual(2);
    expect(sampled.low).toBeGreaterThanOrEqual(sampled.matched); // members seen are certain
    // The sample is fixed: the same definition previewed again reads the same profiles.
    const again = await (
      await admin(`/projects/${project.id}/cohorts/preview?sample=2`, { method: "POST", body: JSON.stringify({ definition: anyPurchase }) })
    ).json();
    expect(again).toEqual(sampled);

    const bad = await preview({ type: "behavioral", match: { performed: { event: { type: "Purchase" }, op: "about" } } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("definition");
    const unknown = await preview({ type: "behavioral", match: { cohort: { id: "coh_missing" } } });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain("coh_missing");
  });
});
