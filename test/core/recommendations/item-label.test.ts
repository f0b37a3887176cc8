import { describe, expect, it } from "vitest";
import { itemLabel, recentItems } from "../../../src/core/recommendations/item-label";

describe("an item's name", () => {
  it("is the definition's label property when set, else the first name-like property", () => {
    const props = { StockCode: "22730", Description: "ALARM CLOCK BAKELIKE RED ", UnitPrice: 3.75 };
    expect(itemLabel(props)).toBe("ALARM CLOCK BAKELIKE RED");
    expect(itemLabel(props, "UnitPrice")).toBe("3.75");
    expect(itemLabel({ product_name: "Mug", title: "Big mug" })).toBe("Big mug"); // name, then title, then product_name …
    expect(itemLabel({ sku: "A1" })).toBeNull();
    expect(itemLabel(props, "Missing")).toBeNull();
  });
});

describe("a user's recent items", () => {
  it("lists the items of the recommendation's item events, newest first, once each, named", () => {
    const events: { event_type: string; time: number; event_properties: Record<string, string> }[] = [
      { event_type: "Order Completed", time: 1, event_properties: { StockCode: "A", Description: "Alpha" } },
      { event_type: "Product Viewed", time: 2, event_properties: { StockCode: "B", Description: "Beta" } },
      { event_type: "Order Completed", time: 3, event_properties: { StockCode: "C", Description: "Gamma" } },
      { event_type: "Order Completed", time: 4, event_properties: { StockCode: "A", Description: "Alpha" } },
      { event_type: "Order Completed", time: 5, event_properties: { Description: "no id" } },
    ];
    expect(recentItems(events, { eventType: "Order Completed", property: "StockCode" })).toEqual([
      { id: "A", label: "Alpha", time: 4 },
      { id: "C", label: "Gamma", time: 3 },
    ]);
    expect(recentItems(events, { eventType: "*", property: "StockCode" }, 2).map((i) => i.id)).toEqual(["A", "C"]);
  });
});
