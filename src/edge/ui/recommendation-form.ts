import { applyEdit, countRows, type EditAllowed, type Edited } from "./cohort-edit";
import { eventFromFields, eventToFields, filtersFromFields, filtersToFields, Reader } from "./cohort-parts";
import { encodeNumber } from "./cohort-values";
import type { Built, Fields } from "./forms";

/**
 * The recommendation form's fields, named by definition path (`item.property`, `count`,
 * `control.percent`, …). Event specs and the `where` filters use the cohort editor's
 * codecs and row naming (`item.event.type`, `item.event.f.0.op`, `exclude.where.f.0.value`),
 * so its filter edits and value encoding apply unchanged. A blank goal means the item
 * event; checkboxes post "true" when checked; excluded items are a comma or newline list.
 */
export const ITEM_EVENT = "item.event";
export const GOAL_EVENT = "goal.event";
export const WHERE = "exclude.where";
const FILTER_PREFIXES: readonly string[] = [ITEM_EVENT, GOAL_EVENT, WHERE];
export const FLAGS = ["exclude.interacted", "exclude.converted"] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const optional = (v: unknown, type: "string" | "number" | "boolean") => v === undefined || typeof v === type;
const optionalObj = (v: unknown) => v === undefined || isObj(v);
const filtersFit = (filters: unknown) =>
  filters === undefined || (Array.isArray(filters) && filters.every((f) => isObj(f) && optional(f.property, "string") && optional(f.op, "string")));
const specFits = (spec: unknown) => isObj(spec) && optional(spec.type, "string") && filtersFit(spec.filters);

/** An excluded item the list shows exactly: no separators, no padding. */
const listable = (item: unknown) => typeof item === "string" && item !== "" && item === item.trim() && !/[,\r\n]/.test(item);
export const parseItems = (text: string | undefined) =>
  (text ?? "")
    .split(/[,\r\n]+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");

/** Whether the form can show a definition: the shapes it has fields for, with values it shows exactly. */
function fits(d: Obj): boolean {
  const item = d.item ?? {};
  const exclude = d.exclude ?? {};
  const control = d.control ?? {};
  if (!isObj(item) || !isObj(exclude) || !isObj(control) || !optionalObj(d.goal)) return false;
  if (!optional(item.property, "string") || (item.event !== undefined && !specFits(item.event))) return false;
  // A blank goal box means "the item event", so a goal must have a type to show.
  if (isObj(d.goal) && !(specFits(d.goal.event) && String((d.goal.event as Obj).type ?? "").trim() !== "")) return false;
  if (!optional(d.count, "number") || !optional(control.percent, "number") || !optional(control.strategy, "string") || !optional(d.fallback, "string"))
    return false;
  if (!optional(exclude.interacted, "boolean") || !optional(exclude.converted, "boolean")) return false;
  if (exclude.items !== undefined && !(Array.isArray(exclude.items) && exclude.items.every(listable))) return false;
  return filtersFit(exclude.where);
}

/** The form's fields for a definition (defaults written out); null when only the JSON view can show it. */
export function recommendationToFields(definition: unknown): Fields | null {
  if (!isObj(definition) || !fits(definition)) return null;
  const d = definition as { item?: Obj; goal?: { event: unknown }; count?: number; exclude?: Obj; control?: Obj; fallback?: string };
  const exclude = d.exclude ?? {};
  const out: Fields = {};
  eventToFields(d.item?.event, ITEM_EVENT, out);
  out["item.property"] = String(d.item?.property ?? "");
  eventToFields(d.goal?.event, GOAL_EVENT, out);
  out.count = encodeNumber(d.count ?? 10);
  for (const flag of FLAGS) if ((exclude[flag.slice("exclude.".length)] ?? true) === true) out[flag] = "true";
  out["exclude.items"] = ((exclude.items ?? []) as string[]).join("\n");
  // `where` rows are an event spec's filter rows without the event.
  filtersToFields(exclude.where, WHERE, out);
  out["control.percent"] = encodeNumber(d.control?.percent ?? 0);
  out["control.strategy"] = String(d.control?.strategy ?? "popular");
  out.fallback = d.fallback ?? "popular";
  return out;
}

const hasRows = (fields: Fields, prefix: string) => countRows(fields, `${prefix}.f`, "op") > 0;

/** The definition from the form's fields, with the field for each definition path (the API's errors go next to them). */
export function recommendationFromFields(fields: Fields): Built {
  const r = new Reader(fields);
  r.map("item", `${ITEM_EVENT}.type`);
  const item = { event: eventFromFields(r, ITEM_EVENT, "item.event"), property: r.text("item.property", "item.property") };
  r.map("goal", `${GOAL_EVENT}.type`);
  const goalType = (fields[`${GOAL_EVENT}.type`] ?? "").trim();
  if (goalType === "" && hasRows(fields, GOAL_EVENT))
    r.problems[`${GOAL_EVENT}.type`] = "Enter the goal event for its filters (blank: the item event, unfiltered)";
  const goal = goalType === "" && !hasRows(fields, GOAL_EVENT) ? undefined : { event: eventFromFields(r, GOAL_EVENT, "goal.event") };
  const count = r.number("count", "count");

  r.map("exclude", FLAGS[0]);
  for (const flag of FLAGS) r.map(flag, flag);
  r.map("exclude.items", "exclude.items");
  r.map(WHERE, WHERE);
  // The where rows through the event spec's filter codec, row i at `exclude.where.<i>`.
  const where = filtersFromFields(r, WHERE, WHERE);
  const exclude = { interacted: fields[FLAGS[0]] === "true", converted: fields[FLAGS[1]] === "true", items: parseItems(fields["exclude.items"]), where };

  r.map("control", "control.percent");
  const percent = r.number("control.percent", "control.percent");
  const control = { ...(percent === undefined ? {} : { percent }), strategy: r.text("control.strategy", "control.strategy") || "popular" };
  const fallback = r.text("fallback", "fallback") || "popular";
  const definition = { item, ...(goal === undefined ? {} : { goal }), ...(count === undefined ? {} : { count }), exclude, control, fallback };
  return { definition, paths: r.paths, problems: r.problems };
}

/** Edits act on the form's filter rows only: adding to a filtered spec, removing one of its rows. */
const filterTarget: EditAllowed = (verb, target) => {
  if (verb === "add-filter") return FILTER_PREFIXES.includes(target);
  return verb === "remove" && FILTER_PREFIXES.includes(/^(.+)\.f\.\d+$/.exec(target)?.[1] ?? "");
};

/** Filter rows added and removed without script (`edit:add-filter item.event`, `edit:remove exclude.where.f.1`). */
export function editRecommendation(fields: Fields, action: string): Edited {
  return applyEdit(fields, action, filterTarget);
}
