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
    expect(await twice.json()).toEqual({ sampled: 3, matched: 1, estimate: 1, profiles: 3, exact: true, low: 1, high: 1, warnings: [] });
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

describe("the project's vocabulary (pickers and warnings)", () => {
  it("is kept as events arrive: event types, their properties and values, user properties", async () => {
    const project = await createProject("catalog");
    const t = Date.now() - 60_000;
    const events = [
      {
        user_id: "customer-1",
        event_type: "Order Completed",
        time: t,
        revenue: 12.5,
        event_properties: { Country: "France", items: [1, 2] },
        user_properties: { plan: "pro" },
      },
      {
        user_id: "customer-2",
        event_type: "Order Completed",
        time: t + 1,
        event_properties: { Country: "Germany" },
        user_properties: { $set: { plan: "free", email: "x@example.com" } },
      },
      { user_id: "customer-2", event_type: "Product Added", time: t + 2, event_properties: { StockCode: "22730" } },
    ];
    const uploaded = await upload({ api_key: project.apiKey, events });
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    type Catalog = {
      events: { name: string; seen: number }[];
      event_properties: Record<string, { name: string; values: string[] }[]>;
      user_properties: { name: string; values: string[] }[];
    };
    let catalog: Catalog = { events: [], event_properties: {}, user_properties: [] };
    for (let i = 0; i < 100 && catalog.events.length < 2; i++) {
      catalog = await (await admin(`/projects/${project.id}/catalog`)).json<Catalog>();
      if (catalog.events.length < 2) await new Promise((r) => setTimeout(r, 50));
    }
    expect(catalog.events).toEqual([
      { name: "Order Completed", seen: 2, last_seen: expect.any(Number) },
      { name: "Product Added", seen: 1, last_seen: expect.any(Number) },
    ]);
    const orderProps = Object.fromEntries(catalog.event_properties["Order Completed"]!.map((p) => [p.name, p.values.sort()]));
    expect(orderProps).toEqual({ Country: ['"France"', '"Germany"'], items: [], revenue: ["12.5"] });
    expect(catalog.event_properties["Product Added"]).toEqual([{ name: "StockCode", seen: 1, values: ['"22730"'] }]);
    const userProps = Object.fromEntries(catalog.user_properties.map((p) => [p.name, p.values.sort()]));
    // An e-mail address is never kept as a value.
    expect(userProps).toEqual({ plan: ['"free"', '"pro"'], email: [] });

    // A definition naming an event never seen is saved, with a warning that names the field and the event meant.
    const typo = { type: "behavioral", match: { all: [{ performed: { event: { type: "order completed" } } }] } };
    const created = await admin(`/projects/${project.id}/cohorts`, { method: "POST", body: JSON.stringify({ name: "Typo", definition: typo }) });
    expect(created.status).toBe(201);
    const warning = {
      path: "definition.match.all.0.performed.event.type",
      message: 'No event named "order completed" has been seen in this project (did you mean "Order Completed"?)',
    };
    const body = await created.json<{ id: string; warnings: unknown[] }>();
    expect(body.warnings).toEqual([warning]);
    expect((await (await admin(`/projects/${project.id}/cohorts/${body.id}`)).json<{ warnings: unknown[] }>()).warnings).toEqual([warning]);
    const preview = await admin(`/projects/${project.id}/cohorts/preview`, { method: "POST", body: JSON.stringify({ definition: typo }) });
    expect((await preview.json<{ warnings: unknown[]; matched: number }>()).warnings).toEqual([warning]);
    // Fixed, it is quiet.
    const fixed = await admin(`/projects/${project.id}/cohorts/${body.id}`, {
      method: "PUT",
      body: JSON.stringify({ definition: { type: "behavioral", match: { all: [{ performed: { event: { type: "Order Completed" } } }] } } }),
    });
    expect((await fixed.json<{ warnings: unknown[] }>()).warnings).toEqual([]);
  });
});

describe("a cohort's members and overlap", () => {
  it("lists members from the index and counts what each other cohort shares", async () => {
    const project = await createProject("overlap");
    const t = Date.now() - 60_000;
    const ids = ["member-1", "member-2", "member-3", "member-4"];
    expect((await upload({ api_key: project.apiKey, events: ids.map((user_id, i) => ({ user_id, event_type: "Visited", time: t + i })) })).status).toBe(200);
    for (let i = 0; i < 100; i++) {
      const n = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE project_id = ?").bind(project.id).first<{ n: number }>();
      if (n?.n === 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const staticCohort = async (name: string, members: string[]) => {
      const created = await (
        await admin(`/projects/${project.id}/cohorts`, { method: "POST", body: JSON.stringify({ name, definition: { type: "static" } }) })
      ).json<{ id: string }>();
      expect((await admin(`/projects/${project.id}/cohorts/${created.id}/members`, { method: "POST", body: JSON.stringify({ ids: members }) })).status).toBe(
        200,
      );
      for (let i = 0; i < 100; i++) {
        const { size } = await (await admin(`/projects/${project.id}/cohorts/${created.id}`)).json<{ size: number }>();
        if (size === members.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return created.id;
    };
    const a = await staticCohort("A", ["member-1", "member-2", "member-3"]);
    const b = await staticCohort("B", ["member-2", "member-3", "member-4"]);
    const c = await staticCohort("C", ["member-4"]);

    const members = await (await admin(`/projects/${project.id}/cohorts/${a}/members?limit=2`)).json();
    expect(members).toEqual({
      cohort_id: a,
      size: 3,
      members: [
        { user_id: "member-1", device_id: null },
        { user_id: "member-2", device_id: null },
      ],
    });
    const overlap = await (await admin(`/projects/${project.id}/cohorts/${a}/overlap`)).json();
    expect(overlap).toEqual({
      cohort_id: a,
      size: 3,
      overlaps: [
        { cohort_id: b, name: "B", size: 3, both: 2 },
        { cohort_id: c, name: "C", size: 1, both: 0 },
      ],
    });
  });
});
