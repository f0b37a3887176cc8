import { describe, expect, it } from "vitest";
import { propertyText } from "../../../src/edge/ui/event-values";

describe("propertyText", () => {
  it("shows an amount in the event's currency", () => {
    expect(propertyText("revenue", 1234.5, { revenue: 1234.5, currency: "GBP" })).toBe("£1,234.50");
    expect(propertyText("price", 2.1, { price: 2.1, currency: "eur" })).toBe("€2.10");
  });

  it("keeps two decimals without a currency, and names a code the runtime does not know", () => {
    expect(propertyText("revenue", 3, { revenue: 3 })).toBe("3.00");
    expect(propertyText("revenue", 3, { revenue: 3, currency: "XQQ" })).toMatch(/^XQQ\s?3\.00$|^3\.00 XQQ$/);
  });

  it("leaves other properties as they are", () => {
    expect(propertyText("quantity", 6, { quantity: 6, currency: "GBP" })).toBe("6");
    expect(propertyText("products", ["a", "b"], {})).toBe("a, b");
    expect(propertyText("lines", [{ sku: "a" }], {})).toBe('[{"sku":"a"}]');
    expect(propertyText("country", "France", {})).toBe("France");
  });
});
