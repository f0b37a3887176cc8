/**
 * What a page rendered at the edge gets in its marked elements. A recommendations
 * element's `data-tailor-template` is its item markup, repeated per item with `{{item}}`
 * (the item id) and `{{rank}}` (1, 2, …) filled in, both HTML-escaped.
 */
export const DEFAULT_ITEM_TEMPLATE = '<li data-tailor-item="{{item}}">{{item}}</li>';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function renderItems(template: string | null, items: readonly string[], limit = Infinity): string {
  const markup = template === null || template.trim() === "" ? DEFAULT_ITEM_TEMPLATE : template;
  return items
    .slice(0, limit)
    .map((item, i) => markup.replaceAll("{{item}}", escapeHtml(item)).replaceAll("{{rank}}", String(i + 1)))
    .join("");
}

/** A computed value as text in the page (numbers as they are, objects as JSON). */
export function valueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}
