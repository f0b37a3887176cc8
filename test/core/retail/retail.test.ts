import { describe, expect, it } from "vitest";
import { parseCsvLine } from "../../../src/core/retail/csv";
import { invoiceEvents, parseRetailRow, ukLocalToUtc } from "../../../src/core/retail/events";

describe("parseCsvLine", () => {
  it("splits plain and quoted fields, with doubled quotes and trailing spaces kept", () => {
    expect(parseCsvLine('536477,22041,"RECORD FRAME 7"" SINGLE SIZE ",48')).toEqual(["536477", "22041", 'RECORD FRAME 7" SINGLE SIZE ', "48"]);
    expect(parseCsvLine('a,"x, y",,b,')).toEqual(["a", "x, y", "", "b", ""]);
  });
});

describe("UK wall-clock times", () => {
  it("is GMT in winter and BST (UTC+1) between the last Sundays of March and October", () => {
    expect(ukLocalToUtc("2010-12-01 08:26:00")).toBe(Date.UTC(2010, 11, 1, 8, 26));
    expect(ukLocalToUtc("2011-03-27 00:59:00")).toBe(Date.UTC(2011, 2, 27, 0, 59));
    expect(ukLocalToUtc("2011-03-27 02:30:00")).toBe(Date.UTC(2011, 2, 27, 1, 30));
    expect(ukLocalToUtc("2011-07-01 12:00:00")).toBe(Date.UTC(2011, 6, 1, 11, 0));
    expect(ukLocalToUtc("2011-10-30 03:00:00")).toBe(Date.UTC(2011, 9, 30, 3, 0));
  });
});

describe("invoiceEvents", () => {
  const row = (line: string) => parseRetailRow(parseCsvLine(line));
  it("one Product Purchased per line and one Order Completed with revenue and products", () => {
    const events = invoiceEvents([
      row("536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom"),
      row("536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom"),
    ]);
    expect(events.map((e) => e.event_type)).toEqual(["Product Purchased", "Product Purchased", "Order Completed"]);
    expect(events[2]).toMatchObject({
      user_id: "17850",
      insert_id: "order-536365",
      event_properties: { revenue: 35.64, currency: "GBP", items: 12, lines: 2, products: ["85123A", "71053"], country: "United Kingdom" },
    });
    expect(events[0]?.event_properties).toMatchObject({ product_id: "85123A", price: 2.55, quantity: 6, currency: "GBP" });
  });

  it("cancellations are their own event types; rows without a customer are nobody's", () => {
    const cancel = invoiceEvents([row("C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom")]);
    expect(cancel.map((e) => e.event_type)).toEqual(["Product Returned", "Order Cancelled"]);
    expect(invoiceEvents([row("536414,22139,,56,2010-12-01 11:52:00,0.0,,United Kingdom")])).toEqual([]);
  });

  it("shifts times", () => {
    const [e] = invoiceEvents([row("536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom")], 1000);
    expect(e?.time).toBe(Date.UTC(2010, 11, 1, 8, 26) + 1000);
  });
});
