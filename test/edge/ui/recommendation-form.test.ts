import { describe, expect, it } from "vitest";
import { recommendationSchema } from "../../../src/core/recommendations/schema";
import { fieldErrors, type Fields } from "../../../src/edge/ui/forms";
import { RecommendationForm } from "../../../src/edge/ui/recommendation-editor";
import { editRecommendation, parseItems, recommendationFromFields, recommendationToFields } from "../../../src/edge/ui/recommendation-form";
import { CORPUS, postedFrom } from "./cohort-editor-helpers";

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
      item: {
        event: {
          type: "Product Added",
          filters: [
            { property: "price", op: "gte", value: 5 },
            { property: "channel", op: "in", value: ["web", "app"] },
          ],
        },
        property: "sku",
      },
      goal: { event: { type: "Order Completed", filters: [{ property: "coupon", op: "not_set" }] } },
      count: 25,
      exclude: {
        interacted: false,
        converted: true,
        items: ["A-1", "B 2", "c:3"],
        where: [
          { property: "stock", op: "gt", value: 0 },
          { property: "brand", op: "not_in", value: ["acme", "42"] },
        ],
      },
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
  const posted = async (fields: Fields): Promise<Fields> => postedFrom(String(await RecommendationForm({ ctx: { fields, errors: {} } }).toString()));

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
    expect(recommendationToFields(CASES.onlyTheItem)).toMatchObject({
      "goal.event.type": "",
      count: "10",
      "exclude.interacted": "true",
      "control.percent": "0",
      fallback: "popular",
    });
  });

  it("excluded items: commas or new lines; items the list cannot show exactly leave the definition to the JSON view", () => {
    expect(parseItems(" a, b\r\nc,,\n\nd e ")).toEqual(["a", "b", "c", "d e"]);
    const item = { event: { type: "A" }, property: "p" };
    for (const items of [["a,b"], ["line\nbreak"], [" padded"], [""], [1]])
      expect(recommendationToFields({ item, exclude: { items } }), JSON.stringify(items)).toBeNull();
    expect(recommendationToFields({ item, goal: { event: { type: "  " } } })).toBeNull(); // would read back as "no goal"
    expect(recommendationToFields({ item, exclude: { where: { property: "x" } } })).toBeNull();
    expect(recommendationToFields({ item, exclude: { interacted: "yes" } })).toBeNull();
    expect(recommendationToFields({ item, count: "10" })).toBeNull();
    expect(recommendationToFields(null)).toBeNull();
  });

  it("round-trips 200 random definitions", () => {
    let t = 7;
    const rand = () => (t = (t * 16807) % 2147483647) / 2147483647;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const maybe = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(() => rand() < 0.6));
    const filters = () => Array.from({ length: Math.floor(rand() * 3) }, () => pick(tricky));
    const spec = () => ({ type: pick(["A", "Order Completed", "*"]), ...(rand() < 0.5 ? {} : { filters: filters() }) });
    for (let i = 0; i < 200; i++) {
      const definition = {
        item: { event: spec(), property: pick(["product_id", "sku"]) },
        ...maybe({
          goal: { event: spec() },
          count: 1 + Math.floor(rand() * 100),
          exclude: maybe({
            interacted: rand() < 0.5,
            converted: rand() < 0.5,
            items: Array.from({ length: Math.floor(rand() * 4) }, () => pick(["X-1", "gift card", "é"])),
            where: filters(),
          }),
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
    const details = [
      "count",
      "item.property",
      "item.event.type",
      "item.event.filters.1.value",
      "goal.event.filters.0.op",
      "exclude.items.2",
      "exclude.where.1.value",
      "exclude.where",
      "exclude.interacted",
      "control.percent",
      "control.strategy",
      "fallback",
      "item",
    ].map(error);
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
    const fields = {
      ...recommendationToFields(CASES.onlyTheItem)!,
      count: "ten",
      "goal.event.f.0.property": "coupon",
      "goal.event.f.0.op": "set",
      "goal.event.f.0.value": "",
    };
    expect(recommendationFromFields(fields).problems).toEqual({ count: "Enter a number", "goal.event.type": expect.stringMatching(/^Enter the goal event/) });
  });

  it("adds and removes filter rows without script; other targets are ignored", () => {
    const fields = recommendationToFields(CASES.goalAndFilters)!;
    const added = editRecommendation(fields, "add-filter exclude.where");
    expect(added).toEqual({
      fields: { ...fields, "exclude.where.f.2.property": "", "exclude.where.f.2.op": "eq", "exclude.where.f.2.value": "" },
      focus: "exclude.where.f.2.property",
    });
    const removed = editRecommendation(fields, "remove item.event.f.0");
    expect(removed.focus).toBe("edit:add-filter item.event");
    expect((recommendationFromFields(removed.fields).definition.item as { event: unknown }).event).toEqual({
      type: "Product Added",
      filters: [{ property: "channel", op: "in", value: ["web", "app"] }],
    });
    expect(editRecommendation(fields, "add-filter n.event")).toEqual({ fields });
    expect(editRecommendation(fields, "remove count")).toEqual({ fields });
    expect(editRecommendation(fields, "refresh fallback")).toEqual({ fields, focus: "fallback" });
  });
});
