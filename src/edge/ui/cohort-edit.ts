import type { Fields } from "./forms";

/**
 * Structural edits of the cohort editor's fields (pure): the form's buttons post
 * `edit:<action> <target>` and the page re-renders the edited fields. `focus` names the
 * field (or button value) to focus afterwards.
 */
export interface Edited {
  fields: Fields;
  focus?: string;
}

/** How many indexed rows `<prefix>.<i>` there are, by a field every row posts (`kind` for nodes, `op` for filter rows). */
export function countRows(fields: Fields, prefix: string, field: string): number {
  let n = 0;
  while (fields[`${prefix}.${n}.${field}`] !== undefined) n++;
  return n;
}

/** How many children a group node has (`<node>.<i>.kind`). */
export const childCount = (fields: Fields, node: string): number => countRows(fields, node, "kind");

/** Moves every field of `node` one level down, under `<node>.0`, and makes `node` an `all` group of it. */
export function wrapInGroup(fields: Fields, node: string): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) out[k.startsWith(`${node}.`) ? `${node}.0.${k.slice(node.length + 1)}` : k] = v;
  return { ...out, [`${node}.kind`]: "group", [`${node}.join`]: "all" };
}

/** Adds a condition (a `performed` clause) or a group with one condition to a group; a clause node becomes a group first. */
export function addNode(fields: Fields, node: string, kind: "performed" | "group"): Edited {
  const base = (fields[`${node}.kind`] ?? "group") === "group" ? { ...fields, [`${node}.kind`]: "group" } : wrapInGroup(fields, node);
  const child = `${node}.${childCount(base, node)}`;
  const added: Fields =
    kind === "group" ? { [`${child}.kind`]: "group", [`${child}.join`]: "all", [`${child}.0.kind`]: "performed" } : { [`${child}.kind`]: "performed" };
  return { fields: { ...base, ...added }, focus: `${child}.kind` };
}

/** Removes the indexed item `<parent>.<i>` (a node or a filter row) with its fields; later siblings move up. */
export function removeIndexed(fields: Fields, target: string): Fields {
  const cut = target.lastIndexOf(".");
  const parent = target.slice(0, cut);
  const index = Number(target.slice(cut + 1));
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === target || k.startsWith(`${target}.`)) continue;
    const m = k.startsWith(`${parent}.`) ? /^(\d+)(\..*)$/.exec(k.slice(parent.length + 1)) : null;
    out[m !== null && Number(m[1]) > index ? `${parent}.${Number(m[1]) - 1}${m[2]}` : k] = v;
  }
  return out;
}

/** Adds an empty filter row to the event spec at `spec` (`<node>.event`, `<node>.step0`, …). */
export function addFilter(fields: Fields, spec: string): Edited {
  const row = `${spec}.f.${countRows(fields, `${spec}.f`, "op")}`;
  return { fields: { ...fields, [`${row}.property`]: "", [`${row}.op`]: "eq", [`${row}.value`]: "" }, focus: `${row}.property` };
}

const TARGET = /^n(\.[A-Za-z0-9_]+)*$/;

/** Whether a form's edit may act on `target` (the cohort editor: any path under the root `n`; a blank target is always allowed). */
export type EditAllowed = (verb: string, target: string) => boolean;
const cohortTarget: EditAllowed = (_verb, target) => target === "" || TARGET.test(target);

/**
 * Applies a posted edit action; unknown actions, and targets `allowed` refuses, leave the
 * fields as they are. `refresh` re-renders as is, focusing its target, whatever the form.
 */
export function applyEdit(fields: Fields, action: string, allowed: EditAllowed = cohortTarget): Edited {
  const [verb = "", target = ""] = action.split(" ");
  if (verb === "refresh") return { fields, ...(target === "" ? {} : { focus: target }) };
  if (!allowed(verb, target)) return { fields };
  const parentOf = (t: string) => t.slice(0, t.lastIndexOf("."));
  switch (verb) {
    case "add-condition":
      return addNode(fields, target, "performed");
    case "add-group":
      return addNode(fields, target, "group");
    case "add-filter":
      return addFilter(fields, target);
    case "remove":
      if (!/\.\d+$/.test(target)) return { fields };
      return {
        fields: removeIndexed(fields, target),
        focus: /\.f\.\d+$/.test(target) ? `edit:add-filter ${parentOf(parentOf(target))}` : `edit:add-condition ${parentOf(target)}`,
      };
    default:
      return { fields };
  }
}
