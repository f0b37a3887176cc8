import { describe, expect, it } from "vitest";
import { addFilter, addNode, applyEdit, removeIndexed, wrapInGroup } from "../../src/edge/ui/cohort-edit";
import { cohortFromFields, cohortToFields } from "../../src/edge/ui/cohort-form";
import { decodeValue, encodeValue } from "../../src/edge/ui/cohort-values";
import { idsFromCsv } from "../../src/edge/ui/csv";
import { cohortDefinitionSchema } from "../../src/core/segments/schema";
import { behavioral, CORPUS, normalised, posted, randomDefinitions } from "./cohort-editor-helpers";
import { definitionFromPaths, fieldErrors, fieldsFromPaths, parseValue, showValue, type Fields } from "../../src/edge/ui/forms";
import { recommendationSchema } from "../../src/core/recommendations/schema";
import { RecommendationForm } from "../../src/edge/ui/recommendation-editor";
import { editRecommendation, parseItems, recommendationFromFields, recommendationToFields } from "../../src/edge/ui/recommendation-form";

describe("the cohort editor", () => {
  const roundTrip = (definition: unknown) => {
    const fields = cohortToFields(definition);
    expect(fields, JSON.stringify(definition)).not.toBeNull();
    const built = cohortFromFields(fields!);
    expect(built.problems ?? {}).toEqual({});
    return { fields: fields!, rebuilt: built.definition };
  };

  it.each(Object.entries(CORPUS))("round-trips %s: definition → fields → the same definition", (_, match) => {
    const definition = behavioral(match);
    expect(cohortDefinitionSchema.safeParse(definition).success).toBe(true);
    const { fields, rebuilt } = roundTrip(definition);
    expect(normalised(rebuilt)).toEqual(normalised(definition));
    // The fields are a fixed point: the rebuilt definition shows as the same fields.
    expect(cohortToFields(rebuilt)).toEqual(fields);
  });

  it("round-trips through what the rendered editor posts", async () => {
    for (const match of Object.values(CORPUS)) {
      const definition = behavioral(match);
      const fields = cohortToFields(definition)!;
      const browser = { type: "behavioral", ...(await posted(fields)) };
      expect(normalised(cohortFromFields(browser).definition)).toEqual(normalised(definition));
    }
  });

  it("round-trips 300 random definitions (nesting, negation, every clause, window and measure)", async () => {
    const kinds = new Set<string>();
    for (const definition of randomDefinitions(300, 42)) {
      expect(cohortDefinitionSchema.safeParse(definition).success, JSON.stringify(definition)).toBe(true);
      const { fields, rebuilt } = roundTrip(definition);
      expect(normalised(rebuilt)).toEqual(normalised(definition));
      expect(normalised(cohortFromFields({ type: "behavioral", ...(await posted(fields)) }).definition)).toEqual(normalised(definition));
      for (const [k, v] of Object.entries(fields)) if (k.endsWith(".kind")) kinds.add(v);
    }
    expect([...kinds].sort()).toEqual(["all", "between", "cohort", "computation", "group", "performed", "prediction", "rolling", "sequence", "since", "since_last", "user_property"]);
  });

  it("names fields by tree position; negation is the node's 'not' count", () => {
    const fields = cohortToFields(behavioral(CORPUS.nestedAndNegated))!;
    expect(fields).toMatchObject({
      "n.kind": "group",
      "n.join": "all",
      "n.0.0.kind": "cohort",
      "n.0.1.1.not": "1",
      "n.0.1.1.id": "coh_b",
      "n.1.not": "1",
      "n.1.join": "any",
      "n.2.not": "2",
      "n.3.kind": "sequence",
      "n.3.step0.f.0.value": "x",
      "n.3.within.days": "2",
      "n.3.window.duration.days": "30",
    });
    expect(cohortToFields({ type: "static" })).toEqual({ type: "static" });
    expect(cohortFromFields({ type: "static", "n.kind": "cohort", "n.id": "x" }).definition).toEqual({ type: "static" });
    expect(cohortToFields({ type: "behavioral", match: { bogus: {} } })).toBeNull();
  });

  it("text boxes keep values exact: JSON when the plain text would read back differently", () => {
    const cases: [unknown, string, string][] = [
      ["pro", "eq", "pro"],
      ["42", "eq", '"42"'],
      [42, "eq", "42"],
      [null, "eq", "null"],
      ["", "eq", '""'],
      [["a", "b"], "in", "a,b"],
      [["a,b"], "in", '["a,b"]'],
      [[1, 2], "eq", "[1,2]"],
      [{ a: 1 }, "eq", '{"a":1}'],
    ];
    for (const [value, op, text] of cases) {
      expect(encodeValue(value, op)).toBe(text);
      expect(decodeValue(text, op)).toEqual(value);
    }
  });

  it("problems the API would only report as 'Invalid input' are found while building", () => {
    const { problems } = cohortFromFields({
      type: "behavioral",
      "n.kind": "group",
      "n.join": "all",
      "n.0.kind": "prediction",
      "n.0.id": "prd_1",
      "n.0.mode": "compare",
      "n.0.value": "",
      "n.1.kind": "performed",
      "n.1.event.type": "A",
      "n.1.window.kind": "between",
      "n.1.window.from": "yesterday",
      "n.1.window.to": "",
    });
    expect(problems).toEqual({ "n.0.value": "Required", "n.1.window.from": expect.stringMatching(/^A date/), "n.1.window.to": "Required" });
  });

  it("maps API error paths in nested nodes back to their fields", () => {
    const { paths } = cohortFromFields(cohortToFields(behavioral(CORPUS.nestedAndNegated))!);
    const error = (field: string, message = field) => ({ field, message });
    const body = {
      error: {
        code: "invalid_request",
        message: "Invalid definition",
        details: [
          error("match.all.0.any.1.all.0.user_property.value"),
          error("match.all.0.any.1.all.1.not.cohort.id"),
          error("match.all.1.not.any"),
          error("match.all.2.not.not.cohort.id"),
          error("match.all.3.not.sequence.steps.0.filters.0.value"),
          error("match.all.3.not.sequence.steps.1.type"),
          error("match.all.3.not.sequence.within"),
          error("match.all.3.not.sequence.window.duration.days"),
          error("match.all.3.not.sequence.window.duration"),
          error("match"),
          error("definition", "unknown cohort coh_x"),
        ],
      },
    };
    expect(fieldErrors(body, paths, "_form")).toEqual({
      "n.0.1.0.value": "match.all.0.any.1.all.0.user_property.value",
      "n.0.1.1.id": "match.all.0.any.1.all.1.not.cohort.id",
      "n.1.join": "match.all.1.not.any",
      "n.2.id": "match.all.2.not.not.cohort.id",
      "n.3.step0.f.0.value": "match.all.3.not.sequence.steps.0.filters.0.value",
      "n.3.step1.type": "match.all.3.not.sequence.steps.1.type",
      "n.3.within": "match.all.3.not.sequence.within",
      "n.3.window.duration.days": "match.all.3.not.sequence.window.duration.days",
      "n.3.window.duration": "match.all.3.not.sequence.window.duration",
      "n.kind": "match",
      _form: "definition: unknown cohort coh_x",
    });
    const measures = cohortFromFields(cohortToFields(behavioral(CORPUS.measures))!).paths;
    expect(fieldErrors({ error: { message: "x", details: [error("match.all.0.performed.measure.sum"), error("match.all.2.performed.event.filters")] } }, measures, "_form")).toEqual({
      "n.0.measure_property": "match.all.0.performed.measure.sum",
      "n.2.event.type": "match.all.2.performed.event.filters",
    });
  });

  it("structural edits: add conditions, groups and filters; remove renumbers the siblings", () => {
    const start = cohortToFields(behavioral({ all: [{ cohort: { id: "a" } }, { cohort: { id: "b" } }, { cohort: { id: "c" } }] }))!;
    const added = addNode(start, "n", "group");
    expect(added.focus).toBe("n.3.kind");
    expect(added.fields).toMatchObject({ "n.3.kind": "group", "n.3.join": "all", "n.3.0.kind": "performed" });
    const withFilter = addFilter(added.fields, "n.3.0.event");
    expect(withFilter).toEqual({ fields: { ...added.fields, "n.3.0.event.f.0.property": "", "n.3.0.event.f.0.op": "eq", "n.3.0.event.f.0.value": "" }, focus: "n.3.0.event.f.0.property" });

    const removed = removeIndexed(withFilter.fields, "n.1");
    expect(removed["n.1.id"]).toBe("c");
    expect(removed["n.2.kind"]).toBe("group");
    expect(removed["n.2.0.event.f.0.op"]).toBe("eq");
    expect(removed["n.3.kind"]).toBeUndefined();
    expect(cohortFromFields(removed).definition).toMatchObject({ match: { all: [{ cohort: { id: "a" } }, { cohort: { id: "c" } }, { all: [{ performed: { event: { type: "", filters: [{ property: "", op: "eq" }] } } }] }] } });

    // A clause at the root becomes a group when a condition is added to it; its negation goes with it.
    const root = cohortToFields(behavioral({ not: CORPUS.rootSequence }))!;
    expect(wrapInGroup(root, "n")).toMatchObject({ "n.kind": "group", "n.join": "all", "n.0.kind": "sequence", "n.0.not": "1", "n.0.step0.type": "Product Added" });
    const grown = applyEdit(root, "add-condition n");
    expect(cohortFromFields(grown.fields).definition).toMatchObject({ match: { all: [{ not: CORPUS.rootSequence }, { performed: { event: { type: "" } } }] } });

    const filters = cohortToFields(behavioral(CORPUS.trickyFilters))!;
    const fewer = applyEdit(filters, "remove n.event.f.0");
    expect(fewer.focus).toBe("edit:add-filter n.event");
    type Performed = { performed: { event: { filters: unknown[] } } };
    const rebuilt = (cohortFromFields(fewer.fields).definition as { match: Performed }).match;
    expect(rebuilt.performed.event.filters).toEqual((CORPUS.trickyFilters as Performed).performed.event.filters.slice(1));
    expect(applyEdit(filters, "remove n")).toEqual({ fields: filters });
    expect(applyEdit(filters, "refresh n.window.kind")).toEqual({ fields: filters, focus: "n.window.kind" });
    expect(applyEdit(filters, "add-condition x.0")).toEqual({ fields: filters });
  });
});

describe("form helpers", () => {
  it("typed values from text boxes", () => {
    expect(parseValue("42")).toBe(42);
    expect(parseValue("-1.5")).toBe(-1.5);
    expect(parseValue("true")).toBe(true);
    expect(parseValue("pro")).toBe("pro");
    expect(parseValue("")).toBeUndefined();
    expect(parseValue('["a",1]')).toEqual(["a", 1]);
    expect(parseValue("a, b,3", "in")).toEqual(["a", "b", 3]);
    expect(showValue(["a", 3])).toBe("a,3");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
  });

  it("path-named fields make definitions and back", () => {
    const fields = { "d.goal.event.type": "Order Completed", "d.horizon_days:number": "30", "d.value_property": "", "d.steps.0.type": "A", other: "x" };
    const { definition, paths } = definitionFromPaths(fields);
    expect(definition).toEqual({ goal: { event: { type: "Order Completed" } }, horizon_days: 30, steps: [{ type: "A" }] });
    expect(paths).toContainEqual(["horizon_days", "d.horizon_days:number"]);
    expect(fieldsFromPaths(definition, ["d.goal.event.type", "d.horizon_days:number"])).toEqual({ "d.goal.event.type": "Order Completed", "d.horizon_days:number": "30" });
  });

  it("ids from CSV uploads", () => {
    expect(idsFromCsv("u1\nu2\n\nu1\r\n")).toEqual(["u1", "u2"]);
    expect(idsFromCsv('"email","user_id"\n"a@x","u 1"\n"b@x","u,2"\n')).toEqual(["u 1", "u,2"]);
    expect(idsFromCsv("user_id,device_id\nu1,d1\n,d2", "device_id")).toEqual(["d1", "d2"]);
    expect(idsFromCsv("")).toEqual([]);
  });
});

describe("the recommendation form", () => {
  /** The README walkthrough's definition. */
  const WALKTHROUGH = {
    item: { event: { type: "Product Viewed" }, property: "product_id" },
    goal: { event: { type: "Product Purchased" } },
    count: 10,
    exclude: { interacted: true, converted: true, items: ["GIFT-CARD"], where: [{ property: "in_stock", op: "eq", value: true }] },
    control: { percent: 10, strategy: "popular" },
    fallback: "popular",
  };
  const tricky = (CORPUS.trickyFilters as { performed: { event: { filters: unknown[] } } }).performed.event.filters;
  const CASES: Record<string, unknown> = {
    walkthrough: WALKTHROUGH,
    // Goal ≠ item, every exclusion off or listed, a random control, no fallback.
    goalAndFilters: {
      item: { event: { type: "Product Added", filters: [{ property: "price", op: "gte", value: 5 }, { property: "channel", op: "in", value: ["web", "app"] }] }, property: "sku" },
      goal: { event: { type: "Order Completed", filters: [{ property: "coupon", op: "not_set" }] } },
      count: 25,
      exclude: { interacted: false, converted: true, items: ["A-1", "B 2", "c:3"], where: [{ property: "stock", op: "gt", value: 0 }, { property: "brand", op: "not_in", value: ["acme", "42"] }] },
      control: { percent: 12.5, strategy: "random" },
      fallback: "none",
    },
    onlyTheItem: { item: { event: { type: "*" }, property: "product_id" } },
    goalSameAsItem: { item: { event: { type: "Viewed" }, property: "id" }, goal: { event: { type: "Viewed" } }, exclude: { converted: false } },
    trickyValues: { item: { event: { type: " spaced ", filters: tricky }, property: " p " }, exclude: { where: tricky }, control: { percent: 0 } },
    bounds: { item: { event: { type: "A" }, property: "p" }, count: 1, control: { percent: 100 }, exclude: { items: [], where: [] } },
  };
  const normalised = (d: unknown) => recommendationSchema.parse(d);
  const roundTrip = (definition: unknown) => {
    const fields = recommendationToFields(definition);
    expect(fields, JSON.stringify(definition)).not.toBeNull();
    const built = recommendationFromFields(fields!);
    expect(built.problems).toEqual({});
    return { fields: fields!, rebuilt: built.definition };
  };

  /** What a browser posts for the rendered form: text, number and checked boxes, textareas, each select's choice. */
  async function posted(fields: Fields): Promise<Fields> {
    const html = String(await RecommendationForm({ ctx: { fields, errors: {} } }).toString());
    const text = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    const attrsOf = (a: string) => Object.fromEntries([...a.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map(([, k, v]) => [k!, text(v ?? "")]));
    const out: Fields = {};
    for (const [, a] of html.matchAll(/<input\b([^>]*)>/g)) {
      const attrs = attrsOf(a!);
      if (attrs.type !== "checkbox" || "checked" in attrs) out[attrs.name!] = attrs.value ?? "";
    }
    for (const [, a, body] of html.matchAll(/<textarea\b([^>]*)>([^<]*)<\/textarea>/g)) out[attrsOf(a!).name!] = text(body!).replace(/\n/g, "\r\n");
    for (const [, a, options] of html.matchAll(/<select\b([^>]*)>(.*?)<\/select>/gs)) {
      const all = [...options!.matchAll(/<option\b([^>]*)>/g)].map(([, o]) => attrsOf(o!));
      out[attrsOf(a!).name!] = (all.find((o) => "selected" in o) ?? all[0])!.value!;
    }
    return out;
  }

  it.each(Object.entries(CASES))("round-trips %s: definition → fields → the same definition", async (_, definition) => {
    expect(recommendationSchema.safeParse(definition).success).toBe(true);
    const { fields, rebuilt } = roundTrip(definition);
    expect(normalised(rebuilt)).toEqual(normalised(definition));
    // Defaults are written out, so the rebuilt definition shows as the same fields …
    expect(recommendationToFields(rebuilt)).toEqual(fields);
    // … and what the rendered form posts (unchecked boxes absent, CRLF in the textarea) builds it too.
    expect(normalised(recommendationFromFields(await posted(fields)).definition)).toEqual(normalised(definition));
  });

  it("shows the walkthrough's definition in named fields; a blank goal is the item event", () => {
    expect(recommendationToFields(WALKTHROUGH)).toEqual({
      "item.event.type": "Product Viewed",
      "item.property": "product_id",
      "goal.event.type": "Product Purchased",
      count: "10",
      "exclude.interacted": "true",
      "exclude.converted": "true",
      "exclude.items": "GIFT-CARD",
      "exclude.where.f.0.property": "in_stock",
      "exclude.where.f.0.op": "eq",
      "exclude.where.f.0.value": "true",
      "control.percent": "10",
      "control.strategy": "popular",
      fallback: "popular",
    });
    const { definition } = recommendationFromFields({ ...recommendationToFields(WALKTHROUGH)!, "goal.event.type": " " });
    expect(definition.goal).toBeUndefined();
    expect(recommendationToFields(CASES.onlyTheItem)).toMatchObject({ "goal.event.type": "", count: "10", "exclude.interacted": "true", "control.percent": "0", fallback: "popular" });
  });

  it("excluded items: commas or new lines; items the list cannot show exactly leave the definition to the JSON view", () => {
    expect(parseItems(" a, b\r\nc,,\n\nd e ")).toEqual(["a", "b", "c", "d e"]);
    const item = { event: { type: "A" }, property: "p" };
    for (const items of [["a,b"], ["line\nbreak"], [" padded"], [""], [1]]) expect(recommendationToFields({ item, exclude: { items } }), JSON.stringify(items)).toBeNull();
    expect(recommendationToFields({ item, goal: { event: { type: "  " } } })).toBeNull(); // would read back as "no goal"
    expect(recommendationToFields({ item, exclude: { where: { property: "x" } } })).toBeNull();
    expect(recommendationToFields({ item, exclude: { interacted: "yes" } })).toBeNull();
    expect(recommendationToFields({ item, count: "10" })).toBeNull();
    expect(recommendationToFields(null)).toBeNull();
  });

  it("round-trips 200 random definitions", () => {
    let t = 7;
    const rand = () => ((t = (t * 16807) % 2147483647) / 2147483647);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const maybe = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(() => rand() < 0.6));
    const filters = () => Array.from({ length: Math.floor(rand() * 3) }, () => pick(tricky));
    const spec = () => ({ type: pick(["A", "Order Completed", "*"]), ...(rand() < 0.5 ? {} : { filters: filters() }) });
    for (let i = 0; i < 200; i++) {
      const definition = {
        item: { event: spec(), property: pick(["product_id", "sku"]) },
        ...maybe({
          goal: { event: spec() },
          count: 1 + Math.floor(rand() * 100),
          exclude: maybe({ interacted: rand() < 0.5, converted: rand() < 0.5, items: Array.from({ length: Math.floor(rand() * 4) }, () => pick(["X-1", "gift card", "é"])), where: filters() }),
          control: maybe({ percent: pick([0, 5, 33.3, 100]), strategy: pick(["popular", "random"]) }),
          fallback: pick(["popular", "none"]),
        }),
      };
      expect(recommendationSchema.safeParse(definition).success, JSON.stringify(definition)).toBe(true);
      const { fields, rebuilt } = roundTrip(definition);
      expect(normalised(rebuilt)).toEqual(normalised(definition));
      expect(recommendationToFields(rebuilt)).toEqual(fields);
    }
  });

  it("maps the API's error paths to their fields", () => {
    const { paths } = recommendationFromFields(recommendationToFields(CASES.goalAndFilters)!);
    const error = (field: string) => ({ field: `definition.${field}`, message: field });
    const details = ["count", "item.property", "item.event.type", "item.event.filters.1.value", "goal.event.filters.0.op", "exclude.items.2", "exclude.where.1.value", "exclude.where", "exclude.interacted", "control.percent", "control.strategy", "fallback", "item"].map(error);
    expect(fieldErrors({ error: { message: "Invalid", details: [...details, { field: "definition", message: "whole" }] } }, paths, "_form")).toEqual({
      count: "count",
      "item.property": "item.property",
      "item.event.type": "item.event.type; item",
      "item.event.f.1.value": "item.event.filters.1.value",
      "goal.event.f.0.op": "goal.event.filters.0.op",
      "exclude.items": "exclude.items.2",
      "exclude.where.f.1.value": "exclude.where.1.value",
      "exclude.where": "exclude.where",
      "exclude.interacted": "exclude.interacted",
      "control.percent": "control.percent",
      "control.strategy": "control.strategy",
      fallback: "fallback",
      _form: "definition: whole",
    });
    // Caught before the API: text in a number box, goal filters without a goal event.
    const fields = { ...recommendationToFields(CASES.onlyTheItem)!, count: "ten", "goal.event.f.0.property": "coupon", "goal.event.f.0.op": "set", "goal.event.f.0.value": "" };
    expect(recommendationFromFields(fields).problems).toEqual({ count: "Enter a number", "goal.event.type": expect.stringMatching(/^Enter the goal event/) });
  });

  it("adds and removes filter rows without script; other targets are ignored", () => {
    const fields = recommendationToFields(CASES.goalAndFilters)!;
    const added = editRecommendation(fields, "add-filter exclude.where");
    expect(added).toEqual({ fields: { ...fields, "exclude.where.f.2.property": "", "exclude.where.f.2.op": "eq", "exclude.where.f.2.value": "" }, focus: "exclude.where.f.2.property" });
    const removed = editRecommendation(fields, "remove item.event.f.0");
    expect(removed.focus).toBe("edit:add-filter item.event");
    expect((recommendationFromFields(removed.fields).definition.item as { event: unknown }).event).toEqual({ type: "Product Added", filters: [{ property: "channel", op: "in", value: ["web", "app"] }] });
    expect(editRecommendation(fields, "add-filter n.event")).toEqual({ fields });
    expect(editRecommendation(fields, "remove count")).toEqual({ fields });
    expect(editRecommendation(fields, "refresh fallback")).toEqual({ fields, focus: "fallback" });
  });
});
