import type { Built, Fields } from "./forms";
import { eventFromFields, eventToFields, Reader, windowFromFields, windowToFields } from "./cohort-parts";
import { durationToFields, encodeNumber, encodeValue, decodeValue } from "./cohort-values";

/**
 * The cohort editor's fields: the definition's expression as a tree of nodes named by
 * their position — `n` the root, `n.0` its first child, `n.0.1` that one's second — each
 * with a `kind` (a group or a clause kind), `not` (how many times it is negated; a
 * checkbox) and its kind's fields (`n.0.event.type`, `n.0.window.kind`, …). Every
 * definition the language accepts has fields, and the fields build it back.
 */
export const NODE_KINDS = [
  ["performed", "performed event"],
  ["sequence", "sequence of events"],
  ["user_property", "user property"],
  ["computation", "computed property"],
  ["cohort", "in cohort"],
  ["prediction", "prediction"],
  ["group", "group"],
] as const;
export type NodeKind = (typeof NODE_KINDS)[number][0];
export const ROOT = "n";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const onlyKey = (v: Obj): string | null => {
  const keys = Object.keys(v);
  return keys.length === 1 ? keys[0]! : null;
};
const defined = <K extends string>(key: K, value: unknown) => (value === undefined ? {} : ({ [key]: value } as Record<K, unknown>));

/** Fields of one node for an expression; false when it is not one the language accepts. */
export function exprToFields(expr: unknown, node: string, out: Fields): boolean {
  let e = expr;
  let nots = 0;
  while (isObj(e) && onlyKey(e) === "not") {
    e = e.not;
    nots++;
  }
  if (!isObj(e)) return false;
  if (nots > 0) out[`${node}.not`] = String(nots);
  const key = onlyKey(e);
  const body = key === null ? undefined : e[key];
  if (key === "all" || key === "any") {
    if (!Array.isArray(body)) return false;
    out[`${node}.kind`] = "group";
    out[`${node}.join`] = key;
    return body.every((child, i) => exprToFields(child, `${node}.${i}`, out));
  }
  if (!isObj(body)) return false;
  const set = (field: string, value: string) => (out[`${node}.${field}`] = value);
  switch (key) {
    case "performed": {
      set("kind", "performed");
      eventToFields(body.event, `${node}.event`, out);
      const m = body.measure ?? "count";
      const measure = isObj(m) ? ("sum" in m ? "sum" : "distinct") : "count";
      set("measure", measure);
      if (isObj(m)) set("measure_property", String(m[measure] ?? ""));
      set("op", String(body.op ?? ">="));
      set("value", encodeNumber(body.value ?? 1));
      windowToFields(body.window, `${node}.window`, out);
      return true;
    }
    case "sequence": {
      set("kind", "sequence");
      const steps = Array.isArray(body.steps) ? body.steps : [];
      eventToFields(steps[0], `${node}.step0`, out);
      eventToFields(steps[1], `${node}.step1`, out);
      durationToFields(body.within, `${node}.within`, out);
      windowToFields(body.window, `${node}.window`, out);
      return steps.length === 2;
    }
    case "user_property":
    case "computation":
      set("kind", key);
      set(key === "computation" ? "id" : "property", String((key === "computation" ? body.id : body.property) ?? ""));
      set("op", String(body.op ?? "eq"));
      set("value", encodeValue(body.value, String(body.op)));
      return true;
    case "cohort":
      set("kind", "cohort");
      set("id", String(body.id ?? ""));
      return true;
    case "prediction": {
      set("kind", "prediction");
      set("id", String(body.id ?? ""));
      const mode = body.top_percent !== undefined ? "top_percent" : body.bottom_percent !== undefined ? "bottom_percent" : "compare";
      set("mode", mode);
      if (mode === "compare") {
        set("on", String(body.on ?? "pct"));
        set("op", String(body.op ?? "gte"));
        set("value", encodeNumber(body.value));
      } else set("percent", encodeNumber(body[mode]));
      return true;
    }
    default:
      return false;
  }
}

/** One node's expression from its fields; a node without a kind is an empty `all` group. */
export function exprFromFields(r: Reader, node: string, path: string): Obj {
  const f = (field: string) => `${node}.${field}`;
  const posted = r.fields[f("kind")];
  const kind: NodeKind = NODE_KINDS.some(([k]) => k === posted) ? (posted as NodeKind) : "group";
  const nots = Math.max(0, Math.min(10, Math.trunc(Number(r.fields[f("not")] ?? 0)) || 0));
  r.map(path, f("kind"));
  const at = path + ".not".repeat(nots);
  let clause: Obj;
  if (kind === "group") {
    const join = r.fields[f("join")] === "any" ? "any" : "all";
    r.map(`${at}.${join}`, f("join"));
    clause = { [join]: Array.from({ length: r.count(node, "kind") }, (_, i) => exprFromFields(r, `${node}.${i}`, `${at}.${join}.${i}`)) };
  } else {
    const p = `${at}.${kind}`;
    clause = { [kind]: clauseBody(r, kind, node, p) };
    r.map(p, f("kind"));
  }
  for (let i = 0; i < nots; i++) clause = { not: clause };
  return clause;
}

function clauseBody(r: Reader, kind: Exclude<NodeKind, "group">, node: string, p: string): Obj {
  const f = (field: string) => `${node}.${field}`;
  switch (kind) {
    case "performed": {
      const measureKind = r.text(f("measure"), `${p}.measure`);
      const measure =
        measureKind === "sum" || measureKind === "distinct" ? { [measureKind]: r.text(f("measure_property"), `${p}.measure.${measureKind}`) } : undefined;
      return {
        event: eventFromFields(r, f("event"), `${p}.event`),
        ...defined("measure", measure),
        op: r.text(f("op"), `${p}.op`) || ">=",
        ...defined("value", r.number(f("value"), `${p}.value`)),
        window: windowFromFields(r, f("window"), `${p}.window`),
      };
    }
    case "sequence":
      r.map(`${p}.steps`, f("step0.type"));
      return {
        steps: [eventFromFields(r, f("step0"), `${p}.steps.0`), eventFromFields(r, f("step1"), `${p}.steps.1`)],
        within: r.duration(f("within"), `${p}.within`),
        window: windowFromFields(r, f("window"), `${p}.window`),
      };
    case "user_property":
    case "computation": {
      const key = kind === "computation" ? "id" : "property";
      const id = r.text(f(key), `${p}.${key}`);
      const op = r.text(f("op"), `${p}.op`) || "eq";
      r.map(`${p}.value`, f("value"));
      return { [key]: id, op, ...defined("value", decodeValue(r.fields[f("value")], op)) };
    }
    case "cohort":
      return { id: r.text(f("id"), `${p}.id`) };
    case "prediction": {
      const id = r.text(f("id"), `${p}.id`);
      const mode = r.fields[f("mode")];
      if (mode === "top_percent" || mode === "bottom_percent") return { id, [mode]: r.number(f("percent"), `${p}.${mode}`, true) };
      return { id, on: r.text(f("on"), `${p}.on`) || "pct", op: r.text(f("op"), `${p}.op`) || "gte", value: r.number(f("value"), `${p}.value`, true) };
    }
  }
}

/** A cohort definition from the editor's fields, with the field for each definition path. */
export function cohortFromFields(fields: Fields): Built {
  if (fields.type === "static") return { definition: { type: "static" }, paths: [["", "type"]] };
  const r = new Reader(fields);
  r.map("type", "type");
  const match = exprFromFields(r, ROOT, "match");
  return { definition: { type: "behavioral", match }, paths: r.paths, problems: r.problems };
}

/** The editor's fields for a stored definition; null only for what the language does not accept. */
export function cohortToFields(definition: unknown): Fields | null {
  const d = definition as { type?: string; match?: unknown } | null;
  if (d?.type === "static") return { type: "static" };
  if (d?.type !== "behavioral") return null;
  const fields: Fields = { type: "behavioral" };
  return exprToFields(d.match, ROOT, fields) ? fields : null;
}
