/**
 * Event properties as a marketer reads them: amounts with their currency (Segment's spec
 * names the amount properties and `currency`, an ISO 4217 code, on the same event).
 */
const AMOUNTS = new Set(["revenue", "price", "total", "subtotal", "value", "shipping", "tax", "discount"]);

export function propertyText(key: string, value: unknown, properties: Record<string, unknown>): string {
  if (typeof value === "number" && AMOUNTS.has(key)) {
    const currency = typeof properties.currency === "string" ? properties.currency.toUpperCase() : undefined;
    if (currency !== undefined && /^[A-Z]{3}$/.test(currency)) {
      try {
        return new Intl.NumberFormat("en-US", { style: "currency", currency }).format(value);
      } catch {
        // an unknown code: shown as a plain amount below
      }
    }
    return `${value.toFixed(2)}${currency === undefined ? "" : ` ${currency}`}`;
  }
  // A list of plain values (an order's products) reads as a list, and wraps.
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== "object")) return value.map((v) => String(v)).join(", ");
  return typeof value === "string" ? value : JSON.stringify(value);
}
