import type { JsonObject } from "../json";

/** Property names that usually hold an item's name, in the order they are preferred. */
const NAME_KEYS = ["name", "title", "product_name", "productname", "description", "label"];

/**
 * What an item is called, from its (last seen) item-event properties: the definition's
 * `label_property` when it names one, else the first property that usually holds a name
 * (`name`, `title`, `description` … in any case); null when none is a non-empty string.
 */
export function itemLabel(props: JsonObject, labelProperty?: string): string | null {
  const text = (v: unknown) => (typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : null);
  if (labelProperty !== undefined) return text(props[labelProperty]);
  const byKey = new Map(Object.keys(props).map((k) => [k.toLowerCase().replace(/[\s_-]+/g, ""), k]));
  for (const key of NAME_KEYS) {
    const found = byKey.get(key.replace(/_/g, ""));
    if (found !== undefined && text(props[found]) !== null) return text(props[found]);
  }
  return null;
}

/** An item as the admin UI shows it beside its id. */
export interface ItemDetail {
  id: string;
  label: string | null;
  props: JsonObject;
}

/** An event as a user lookup lists it. */
interface ListedEvent {
  event_type: string;
  time: number;
  event_properties?: JsonObject | undefined;
}

/**
 * The items a user's recent events took (a recommendation's item event and property),
 * newest first, each once, with its name from that event's properties.
 */
export function recentItems(
  events: readonly ListedEvent[],
  item: { eventType: string; property: string; labelProperty?: string | undefined },
  limit = 10,
): { id: string; label: string | null; time: number }[] {
  const seen = new Map<string, { id: string; label: string | null; time: number }>();
  for (const e of [...events].sort((a, b) => b.time - a.time)) {
    if (item.eventType !== "*" && e.event_type !== item.eventType) continue;
    const value = e.event_properties?.[item.property];
    if (value === undefined || value === null || typeof value === "object") continue;
    const id = String(value);
    if (!seen.has(id)) seen.set(id, { id, label: itemLabel(e.event_properties ?? {}, item.labelProperty), time: e.time });
    if (seen.size >= limit) break;
  }
  return [...seen.values()];
}
