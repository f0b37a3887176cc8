import type { JsonObject } from "../json";

/**
 * The UCI Online Retail transaction log (Chen, Sain & Guo 2012, CC BY 4.0) as Amplitude
 * events: one `Order Completed` per invoice with its revenue and products, one
 * `Product Purchased` per line; cancellation invoices (`C…`) become `Order Cancelled`
 * and `Product Returned`. Rows without a customer are not events of anyone. Amounts are in
 * pounds sterling (the data set's unit prices), named by `currency` as Segment's spec does.
 */
export interface RetailRow {
  invoice: string;
  stockCode: string;
  description: string;
  quantity: number;
  /** Epoch ms (UTC). */
  time: number;
  unitPrice: number;
  customerId: string | null;
  country: string;
}

export interface WireEvent {
  user_id: string;
  event_type: string;
  time: number;
  insert_id: string;
  event_properties: JsonObject;
  user_properties?: JsonObject;
}

/**
 * The file's times are UK wall-clock (GMT, or BST between the last Sundays of March
 * and October, switching at 01:00 UTC). In 2010–2011: BST from 2011-03-27 to 2011-10-30.
 */
export function ukLocalToUtc(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw new Error(`bad InvoiceDate: ${text}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const lastSunday = (month: number) => {
    const last = new Date(Date.UTC(y, month + 1, 0));
    return Date.UTC(y, month, last.getUTCDate() - last.getUTCDay(), 1);
  };
  const bst = asUtc - 3_600_000 >= lastSunday(2) && asUtc - 3_600_000 < lastSunday(9);
  return bst ? asUtc - 3_600_000 : asUtc;
}

export function parseRetailRow(fields: string[]): RetailRow {
  const [invoice, stockCode, description, quantity, date, unitPrice, customer, country] = fields;
  if (country === undefined) throw new Error(`expected 8 fields, got ${fields.length}`);
  const customerId = customer!.trim() === "" ? null : String(Math.round(Number(customer)));
  return {
    invoice: invoice!,
    stockCode: stockCode!,
    description: description!.trim(),
    quantity: Number(quantity),
    time: ukLocalToUtc(date!),
    unitPrice: Number(unitPrice),
    customerId,
    country: country!,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** All the lines of one invoice (of one customer) → its events. */
export function invoiceEvents(lines: readonly RetailRow[], shiftMs = 0): WireEvent[] {
  const first = lines[0];
  if (first === undefined || first.customerId === null) return [];
  const cancelled = first.invoice.startsWith("C");
  const user_id = first.customerId;
  const time = first.time + shiftMs;
  const events: WireEvent[] = lines.map((l, i) => ({
    user_id,
    event_type: cancelled ? "Product Returned" : "Product Purchased",
    time: l.time + shiftMs,
    insert_id: `line-${l.invoice}-${i}`,
    event_properties: {
      product_id: l.stockCode,
      description: l.description,
      price: l.unitPrice,
      quantity: l.quantity,
      revenue: round2(l.unitPrice * l.quantity),
      currency: "GBP",
      invoice: l.invoice,
    },
  }));
  const products = [...new Set(lines.map((l) => l.stockCode))];
  events.push({
    user_id,
    event_type: cancelled ? "Order Cancelled" : "Order Completed",
    time,
    insert_id: `order-${first.invoice}`,
    event_properties: {
      invoice: first.invoice,
      revenue: round2(lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0)),
      currency: "GBP",
      items: lines.reduce((sum, l) => sum + l.quantity, 0),
      lines: lines.length,
      products: products.slice(0, 200),
      country: first.country,
    },
    user_properties: { $set: { country: first.country } },
  });
  return events;
}
