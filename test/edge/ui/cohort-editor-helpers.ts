import { cohortDefinitionSchema } from "../../../src/core/segments/schema";
import { CohortTree } from "../../../src/edge/ui/cohort-editor";
import type { Refs } from "../../../src/edge/ui/definitions";
import type { Fields } from "../../../src/edge/ui/forms";
import { rng } from "../../core/segments/helpers";

/** Definitions covering every part of the cohort language, as users write them. */
export const CORPUS: Record<string, unknown> = {
  abandonedCart: {
    all: [
      { performed: { event: { type: "Product Added" }, op: ">=", value: 1, window: { kind: "rolling", duration: { hours: 24 } } } },
      { not: { performed: { event: { type: "Order Completed" }, window: { kind: "since_last", event: { type: "Product Added" } } } } },
    ],
  },
  everyClause: {
    any: [
      { performed: { event: { type: "Viewed", filters: [{ property: "price", op: "gt", value: 50 }] }, op: ">", value: 3 } },
      { user_property: { property: "plan", op: "in", value: ["pro", "team"] } },
      { user_property: { property: "email", op: "set" } },
      { computation: { id: "cmp_1", op: "gte", value: 100 } },
      { cohort: { id: "coh_1" } },
      { sequence: { steps: [{ type: "Product Added" }, { type: "Order Completed" }], within: { hours: 1 } } },
      { prediction: { id: "prd_1", top_percent: 10 } },
    ],
  },
  windows: {
    all: [
      { performed: { event: { type: "A" }, window: { kind: "all" } } },
      { performed: { event: { type: "A" }, window: { kind: "rolling", duration: { days: 1, hours: 2, minutes: 30 } } } },
      { performed: { event: { type: "A" }, window: { kind: "rolling", duration: { minutes: 1.5, days: 0 } } } },
      { performed: { event: { type: "A" }, window: { kind: "since", from: "2024-01-31" } } },
      { performed: { event: { type: "A" }, window: { kind: "since", from: 1_700_000_000_000 } } },
      { performed: { event: { type: "A" }, window: { kind: "between", from: "2024-01-01T00:00:00+02:00", to: "2024-02-01T12:30:00Z" } } },
      { performed: { event: { type: "A" }, window: { kind: "since_last", event: { type: "B", filters: [{ property: "x", op: "eq", value: 1 }] } } } },
    ],
  },
  measures: {
    all: [
      { performed: { event: { type: "Order Completed" }, measure: { sum: "revenue" }, op: ">=", value: 99.5 } },
      { performed: { event: { type: "Viewed" }, measure: { distinct: "product_id" }, op: "<", value: 3 } },
      { performed: { event: { type: "*" }, measure: "count", op: "=", value: 0 } },
    ],
  },
  trickyFilters: {
    performed: {
      event: {
        type: " spaced type ",
        filters: [
          { property: "s", op: "eq", value: "42" },
          { property: "n", op: "neq", value: null },
          { property: "e", op: "eq", value: "" },
          { property: "c", op: "in", value: ["a,b", "c"] },
          { property: "o", op: "eq", value: { x: [1, "y"] } },
          { property: "b", op: "eq", value: true },
          { property: "t", op: "eq", value: "true" },
          { property: "m", op: "not_in", value: [1, "1"] },
          { property: "q", op: "contains", value: '"quoted"' },
          { property: "u", op: "not_set" },
          { property: "v", op: "set", value: "kept" },
          { property: "a", op: "eq", value: [1, 2] },
          { property: "w", op: "lte", value: -1e-7 },
        ],
      },
    },
  },
  nestedAndNegated: {
    all: [
      {
        any: [{ cohort: { id: "coh_a" } }, { all: [{ user_property: { property: "country", op: "eq", value: "FR" } }, { not: { cohort: { id: "coh_b" } } }] }],
      },
      { not: { any: [{ performed: { event: { type: "Refund" } } }, { computation: { id: "cmp_2", op: "lt", value: 0 } }] } },
      { not: { not: { cohort: { id: "coh_c" } } } },
      {
        not: {
          sequence: {
            steps: [{ type: "A", filters: [{ property: "p", op: "eq", value: "x" }] }, { type: "B" }],
            within: { days: 2 },
            window: { kind: "rolling", duration: { days: 30 } },
          },
        },
      },
    ],
  },
  predictions: {
    any: [
      { prediction: { id: "prd_1", on: "score", op: "gt", value: 0.7 } },
      { prediction: { id: "prd_1", op: "lte", value: 20 } },
      { prediction: { id: "prd_2", bottom_percent: 5 } },
      { not: { prediction: { id: "prd_2", top_percent: 12.5 } } },
    ],
  },
  cohortOfCohorts: { any: [{ cohort: { id: "coh_vip" } }, { all: [{ cohort: { id: "coh_new" } }, { not: { cohort: { id: "coh_churned" } } }] }] },
  rootSequence: { sequence: { steps: [{ type: "Product Added" }, { type: "Order Completed" }], within: { hours: 1 } } },
  rootNot: { not: { all: [{ cohort: { id: "coh_x" } }] } },
};

export const behavioral = (match: unknown) => ({ type: "behavioral", match });
export const normalised = (definition: unknown) => cohortDefinitionSchema.parse(definition);

/** A small seeded generator (mulberry32) of definitions the schema accepts. */
export function randomDefinitions(count: number, seed = 1): unknown[] {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const values: [string, unknown][] = [
    ["eq", "x"],
    ["eq", "7"],
    ["eq", 7],
    ["neq", null],
    ["in", ["a", "b,c"]],
    ["not_in", [1, 2]],
    ["gt", 1.5],
    ["contains", " pad "],
    ["set", undefined],
    ["eq", false],
    ["eq", ""],
    ["lte", 0],
  ];
  const filter = () => {
    const [op, value] = pick(values);
    return { property: pick(["price", "plan", "a.b"]), op, ...(value === undefined ? {} : { value }) };
  };
  const spec = () => ({
    type: pick(["A", "B", "*", "Order Completed"]),
    ...(rand() < 0.5 ? {} : { filters: Array.from({ length: 1 + Math.floor(rand() * 3) }, filter) }),
  });
  const duration = () => pick([{ days: 7 }, { hours: 1, minutes: 30 }, { days: 1, hours: 0.5 }, { minutes: 5 }]);
  const window = () =>
    pick([
      () => undefined,
      () => ({ kind: "all" }),
      () => ({ kind: "rolling", duration: duration() }),
      () => ({ kind: "since", from: pick(["2024-03-01", 1_700_000_000_000]) }),
      () => ({ kind: "between", from: "2024-01-01", to: "2024-06-30T23:59:59Z" }),
      () => ({ kind: "since_last", event: spec() }),
    ])();
  const withWindow = (o: Record<string, unknown>) => {
    const w = window();
    return w === undefined ? o : { ...o, window: w };
  };
  const clause = (): unknown =>
    pick([
      () => ({
        performed: withWindow({
          event: spec(),
          ...(rand() < 0.3 ? { measure: pick([{ sum: "revenue" }, { distinct: "sku" }, "count"]) } : {}),
          op: pick([">=", ">", "=", "<=", "<"]),
          value: pick([0, 1, 2.5, 10]),
        }),
      }),
      () => ({ user_property: filter() }),
      () => ({ computation: { id: "cmp_1", ...(({ property: _, ...rest }) => rest)(filter()) } }),
      () => ({ cohort: { id: pick(["coh_a", "coh_b"]) } }),
      () => ({ sequence: withWindow({ steps: [spec(), spec()], within: duration() }) }),
      () => ({
        prediction: pick([
          { id: "prd_1", top_percent: 10 },
          { id: "prd_1", bottom_percent: 25 },
          { id: "prd_2", on: "score", op: "gte", value: 0.5 },
          { id: "prd_2", op: "lt", value: 50 },
        ]),
      }),
    ])();
  const expr = (depth: number): unknown => {
    const r = rand();
    if (depth < 3 && r < 0.3) return { [pick(["all", "any"])]: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => expr(depth + 1)) };
    if (r < 0.4) return { not: expr(depth + 1) };
    return clause();
  };
  return Array.from({ length: count }, () => behavioral(expr(0)));
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/**
 * What a browser posts for a rendered form: text and number boxes, checked boxes, textareas
 * (their text, new lines sent as CRLF), each select's chosen option (else its first).
 */
export function postedFrom(html: string): Fields {
  const attrsOf = (text: string) => Object.fromEntries([...text.matchAll(/([\w-]+)(?:="([^"]*)")?/g)].map(([, k, v]) => [k!, unescapeHtml(v ?? "")]));
  const out: Fields = {};
  let select: { name: string; first?: string; chosen?: string } | null = null;
  for (const [, areaAttrs, areaText, tag, attrText] of html.matchAll(/<textarea\b([^>]*)>([^<]*)<\/textarea>|<(input|select|option|\/select)\b([^>]*)>/g)) {
    if (areaAttrs !== undefined) {
      out[attrsOf(areaAttrs).name!] = unescapeHtml(areaText!).replace(/\n/g, "\r\n");
      continue;
    }
    const attrs = attrsOf(attrText!);
    if (tag === "input" && (attrs.type !== "checkbox" || "checked" in attrs)) out[attrs.name!] = attrs.value ?? "";
    if (tag === "select") select = { name: attrs.name! };
    if (tag === "option" && select !== null) {
      select.first ??= attrs.value;
      if ("selected" in attrs) select.chosen = attrs.value;
    }
    if (tag === "/select" && select !== null) {
      out[select.name] = select.chosen ?? select.first ?? "";
      select = null;
    }
  }
  return out;
}

/** What a browser posts for the rendered cohort editor. */
export async function posted(fields: Fields, refs: Refs = {}): Promise<Fields> {
  return postedFrom(String(await CohortTree({ ctx: { fields, errors: {} }, refs }).toString()));
}
