import { parseValue, showValue, type Built, type Fields } from "./forms";

/**
 * The cohort editor's structured form: a list of common clause shapes joined by all/any.
 * Anything it cannot show (nested groups, sequences, several filters, …) is edited as JSON.
 * Fields are `type`, `match` and per clause `c<i>.<field>`.
 */
export const CLAUSE_KINDS = [
  ["", "(no condition)"],
  ["performed", "performed event"],
  ["not_performed", "did not perform event"],
  ["user_property", "user property"],
  ["computation", "computed property"],
  ["in_cohort", "in cohort"],
  ["not_in_cohort", "not in cohort"],
] as const;
export type ClauseKind = (typeof CLAUSE_KINDS)[number][0];
export const UNITS = ["minutes", "hours", "days"] as const;

type Clause = Record<string, unknown>;
const CLAUSE_FIELDS = ["kind", "event", "op", "count", "window", "within", "unit", "since_event", "filter_property", "filter_op", "filter_value", "property", "computation", "cohort", "prop_op", "prop_value"] as const;
export type ClauseFields = Partial<Record<(typeof CLAUSE_FIELDS)[number], string>>;

export function clauseFields(fields: Fields, i: number): ClauseFields {
  const out: ClauseFields = {};
  for (const f of CLAUSE_FIELDS) {
    const v = fields[`c${i}.${f}`];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** How many clause rows the posted form had. */
export function clauseCount(fields: Fields): number {
  let n = 0;
  while (fields[`c${n}.kind`] !== undefined) n++;
  return n;
}

function eventSpec(type: string | undefined, f: ClauseFields): Record<string, unknown> {
  const filterProperty = (f.filter_property ?? "").trim();
  const filters =
    filterProperty === ""
      ? []
      : [{ property: filterProperty, op: f.filter_op || "eq", ...(f.filter_op === "set" || f.filter_op === "not_set" ? {} : { value: parseValue(f.filter_value, f.filter_op) }) }];
  return { type: (type ?? "").trim(), ...(filters.length > 0 ? { filters } : {}) };
}

function windowOf(f: ClauseFields): Record<string, unknown> {
  if (f.window === "rolling") {
    const unit = (UNITS as readonly string[]).includes(f.unit ?? "") ? f.unit! : "days";
    return { kind: "rolling", duration: { [unit]: Number(f.within ?? "") } };
  }
  if (f.window === "since_last") return { kind: "since_last", event: { type: (f.since_event ?? "").trim() } };
  return { kind: "all" };
}

/** One clause from its fields, with the field each of its definition paths belongs to. */
function buildClause(f: ClauseFields, i: number, at: string): { clause: Clause; paths: [string, string][] } {
  const name = (field: string) => `c${i}.${field}`;
  const valueOf = (op: string | undefined, text: string | undefined) => (op === "set" || op === "not_set" ? {} : { value: parseValue(text, op) });
  switch (f.kind as ClauseKind) {
    case "performed":
    case "not_performed": {
      const negated = f.kind === "not_performed";
      const performed = {
        event: eventSpec(f.event, f),
        op: negated ? ">=" : (f.op ?? ">="),
        value: negated ? 1 : Number(f.count || "1"),
        window: windowOf(f),
      };
      const base = `${at}${negated ? ".not" : ""}.performed`;
      return {
        clause: negated ? { not: { performed } } : { performed },
        paths: [
          [at, name("kind")],
          [`${base}.event`, name("event")],
          [`${base}.event.filters`, name("filter_property")],
          [`${base}.event.filters.0.op`, name("filter_op")],
          [`${base}.event.filters.0.value`, name("filter_value")],
          [`${base}.op`, name("op")],
          [`${base}.value`, name("count")],
          [`${base}.window`, name("window")],
          [`${base}.window.duration`, name("within")],
          [`${base}.window.event`, name("since_event")],
        ],
      };
    }
    case "user_property":
      return {
        clause: { user_property: { property: (f.property ?? "").trim(), op: f.prop_op || "eq", ...valueOf(f.prop_op, f.prop_value) } },
        paths: [
          [at, name("kind")],
          [`${at}.user_property.property`, name("property")],
          [`${at}.user_property.op`, name("prop_op")],
          [`${at}.user_property.value`, name("prop_value")],
        ],
      };
    case "computation":
      return {
        clause: { computation: { id: f.computation ?? "", op: f.prop_op || "eq", ...valueOf(f.prop_op, f.prop_value) } },
        paths: [
          [at, name("kind")],
          [`${at}.computation.id`, name("computation")],
          [`${at}.computation.op`, name("prop_op")],
          [`${at}.computation.value`, name("prop_value")],
        ],
      };
    default: {
      const negated = f.kind === "not_in_cohort";
      return {
        clause: negated ? { not: { cohort: { id: f.cohort ?? "" } } } : { cohort: { id: f.cohort ?? "" } },
        paths: [
          [at, name("kind")],
          [`${at}${negated ? ".not" : ""}.cohort`, name("cohort")],
        ],
      };
    }
  }
}

/** A cohort definition from the structured form. Rows without a kind are skipped. */
export function cohortFromFields(fields: Fields): Built {
  if (fields.type === "static") return { definition: { type: "static" }, paths: [["", "type"]] };
  const join = fields.match === "any" ? "any" : "all";
  const clauses: Clause[] = [];
  const paths: [string, string][] = [["match", "match"]];
  const n = clauseCount(fields);
  for (let i = 0; i < n; i++) {
    const f = clauseFields(fields, i);
    if (!f.kind) continue;
    const built = buildClause(f, i, `match.${join}.${clauses.length}`);
    clauses.push(built.clause);
    paths.push(...built.paths);
  }
  return { definition: { type: "behavioral", match: { [join]: clauses } }, paths };
}

function durationFields(duration: unknown): ClauseFields | null {
  if (duration === null || typeof duration !== "object") return null;
  const entries = Object.entries(duration as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== 0);
  if (entries.length !== 1) return null;
  const [unit, value] = entries[0]!;
  return (UNITS as readonly string[]).includes(unit) && typeof value === "number" ? { within: String(value), unit } : null;
}

function windowFields(window: unknown): ClauseFields | null {
  const w = (window ?? { kind: "all" }) as { kind?: string; duration?: unknown; event?: { type?: unknown; filters?: unknown[] } };
  if (w.kind === "all") return { window: "all" };
  if (w.kind === "rolling") {
    const d = durationFields(w.duration);
    return d === null ? null : { window: "rolling", ...d };
  }
  if (w.kind === "since_last" && typeof w.event?.type === "string" && (w.event.filters ?? []).length === 0) return { window: "since_last", since_event: w.event.type };
  return null;
}

function performedFields(p: Record<string, unknown>, negated: boolean): ClauseFields | null {
  const event = p.event as { type?: unknown; filters?: { property: string; op: string; value?: unknown }[] } | undefined;
  if (typeof event?.type !== "string") return null;
  if ((p.measure ?? "count") !== "count") return null;
  const filters = event.filters ?? [];
  if (filters.length > 1) return null;
  const op = (p.op as string | undefined) ?? ">=";
  const value = (p.value as number | undefined) ?? 1;
  if (negated && !(op === ">=" && value === 1)) return null;
  const window = windowFields(p.window);
  if (window === null) return null;
  const filter = filters[0];
  return {
    kind: negated ? "not_performed" : "performed",
    event: event.type,
    op,
    count: String(value),
    ...window,
    ...(filter === undefined ? {} : { filter_property: filter.property, filter_op: filter.op, filter_value: showValue(filter.value) }),
  };
}

function clauseToFields(clause: Record<string, unknown>): ClauseFields | null {
  const keys = Object.keys(clause);
  if (keys.length !== 1) return null;
  const body = clause[keys[0]!] as Record<string, unknown>;
  if (body === null || typeof body !== "object") return null;
  switch (keys[0]) {
    case "performed":
      return performedFields(body, false);
    case "not": {
      if ("performed" in body && Object.keys(body).length === 1) return performedFields(body.performed as Record<string, unknown>, true);
      if ("cohort" in body && Object.keys(body).length === 1) return { kind: "not_in_cohort", cohort: String((body.cohort as { id?: unknown }).id ?? "") };
      return null;
    }
    case "user_property":
      return { kind: "user_property", property: String(body.property ?? ""), prop_op: String(body.op ?? "eq"), prop_value: showValue(body.value) };
    case "computation":
      return { kind: "computation", computation: String(body.id ?? ""), prop_op: String(body.op ?? "eq"), prop_value: showValue(body.value) };
    case "cohort":
      return { kind: "in_cohort", cohort: String(body.id ?? "") };
    default:
      return null;
  }
}

/** Form fields for a stored definition, or null when only the JSON editor can show it. */
export function cohortToFields(definition: unknown): Fields | null {
  const d = definition as { type?: string; match?: Record<string, unknown> } | null;
  if (d?.type === "static") return { type: "static", match: "all" };
  if (d?.type !== "behavioral" || d.match === undefined) return null;
  const join = "all" in d.match ? "all" : "any" in d.match ? "any" : null;
  const list = join === null ? [d.match] : (d.match[join] as Record<string, unknown>[]);
  if (!Array.isArray(list)) return null;
  const fields: Fields = { type: "behavioral", match: join ?? "all" };
  for (const [i, clause] of list.entries()) {
    const f = clauseToFields(clause);
    if (f === null) return null;
    for (const [k, v] of Object.entries(f)) fields[`c${i}.${k}`] = v;
  }
  return fields;
}
