import { describe, expect, it } from "vitest";
import { cohortDefinitionSchema } from "../../src/core/segments/schema";
import { cohortFromFields, cohortToFields } from "../../src/edge/ui/cohort-form";
import { idsFromCsv } from "../../src/edge/ui/csv";
import { definitionFromPaths, fieldErrors, fieldsFromPaths, parseValue, showValue, withoutRedacted } from "../../src/edge/ui/forms";

const abandonedCart = {
  type: "behavioral",
  match: {
    all: [
      { performed: { event: { type: "Product Added" }, op: ">=", value: 1, window: { kind: "rolling", duration: { hours: 24 } } } },
      { not: { performed: { event: { type: "Order Completed" }, op: ">=", value: 1, window: { kind: "since_last", event: { type: "Product Added" } } } } },
    ],
  },
};

describe("the cohort form", () => {
  it("builds a valid definition from clause rows, skipping empty ones", () => {
    const { definition } = cohortFromFields({
      type: "behavioral",
      match: "all",
      "c0.kind": "performed",
      "c0.event": "Product Added",
      "c0.op": ">=",
      "c0.count": "1",
      "c0.window": "rolling",
      "c0.within": "24",
      "c0.unit": "hours",
      "c1.kind": "",
      "c2.kind": "not_performed",
      "c2.event": "Order Completed",
      "c2.window": "since_last",
      "c2.since_event": "Product Added",
    });
    expect(definition).toEqual(abandonedCart);
    expect(cohortDefinitionSchema.safeParse(definition).success).toBe(true);
  });

  it("round-trips every clause kind it offers", () => {
    const definition = {
      type: "behavioral",
      match: {
        any: [
          { performed: { event: { type: "Viewed", filters: [{ property: "price", op: "gt", value: 50 }] }, op: ">", value: 3, window: { kind: "all" } } },
          { user_property: { property: "plan", op: "in", value: ["pro", "team"] } },
          { computation: { id: "cmp_1", op: "gte", value: 100 } },
          { cohort: { id: "coh_1" } },
          { not: { cohort: { id: "coh_2" } } },
          { user_property: { property: "email", op: "set" } },
        ],
      },
    };
    const fields = cohortToFields(definition)!;
    expect(fields["c1.prop_value"]).toBe("pro,team");
    const rebuilt = cohortFromFields(fields).definition as typeof definition;
    expect(rebuilt.match.any).toHaveLength(6);
    expect(rebuilt).toEqual(definition);
    expect(cohortToFields(abandonedCart)).not.toBeNull();
    expect(cohortFromFields(cohortToFields(abandonedCart)!).definition).toEqual(abandonedCart);
  });

  it("leaves what it cannot show to the JSON editor", () => {
    const seq = { type: "behavioral", match: { sequence: { steps: [{ type: "A" }, { type: "B" }], within: { hours: 1 } } } };
    const nested = { type: "behavioral", match: { all: [{ any: [{ cohort: { id: "a" } }] }] } };
    const sum = { type: "behavioral", match: { performed: { event: { type: "A" }, measure: { sum: "revenue" }, op: ">", value: 10 } } };
    for (const d of [seq, nested, sum]) expect(cohortToFields(d)).toBeNull();
    expect(cohortToFields({ type: "static" })).toEqual({ type: "static", match: "all" });
    expect(cohortFromFields({ type: "static", "c0.kind": "performed" }).definition).toEqual({ type: "static" });
  });

  it("maps API error paths back to the clause field they concern", () => {
    const { paths } = cohortFromFields({ match: "all", "c0.kind": "", "c1.kind": "performed", "c1.event": "", "c2.kind": "user_property", "c2.property": "x", "c2.prop_op": "gt", "c2.prop_value": "abc" });
    const body = {
      error: {
        code: "invalid_request",
        message: "Invalid definition",
        details: [
          { field: "match.all.0.performed.event.type", message: "Too small" },
          { field: "match.all.1.user_property.value", message: "op gt needs a number" },
          { field: "name", message: "already in use" },
          { field: "definition", message: "unknown cohort coh_x" },
        ],
      },
    };
    expect(fieldErrors(body, paths, "_form")).toEqual({ "c1.event": "Too small", "c2.prop_value": "op gt needs a number", name: "already in use", _form: "definition: unknown cohort coh_x" });
    expect(fieldErrors(body, [], "definition_json")).toEqual({ definition_json: "Too small; op gt needs a number; unknown cohort coh_x", name: "already in use" });
    expect(fieldErrors({ error: { message: "Nope" } }, paths, "_form")).toEqual({ _form: "Nope" });
  });
});

describe("form helpers", () => {
  it("typed values from text boxes", () => {
    expect(parseValue("42")).toBe(42);
    expect(parseValue("-1.5")).toBe(-1.5);
    expect(parseValue("true")).toBe(true);
    expect(parseValue("pro")).toBe("pro");
    expect(parseValue("")).toBeUndefined();
    expect(parseValue('["a",1]')).toEqual(["a", 1]);
    expect(parseValue("a, b,3", "in")).toEqual(["a", "b", 3]);
    expect(showValue(["a", 3])).toBe("a,3");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
  });

  it("path-named fields make definitions and back", () => {
    const fields = { "d.goal.event.type": "Order Completed", "d.horizon_days:number": "30", "d.value_property": "", "d.steps.0.type": "A", other: "x" };
    const { definition, paths } = definitionFromPaths(fields);
    expect(definition).toEqual({ goal: { event: { type: "Order Completed" } }, horizon_days: 30, steps: [{ type: "A" }] });
    expect(paths).toContainEqual(["horizon_days", "d.horizon_days:number"]);
    expect(fieldsFromPaths(definition, ["d.goal.event.type", "d.horizon_days:number"])).toEqual({ "d.goal.event.type": "Order Completed", "d.horizon_days:number": "30" });
  });

  it("redacted credentials are left out so the stored ones stay", () => {
    expect(withoutRedacted({ type: "webhook", url: "u", credentials: { signing_secret: "(set)" } })).toEqual({ type: "webhook", url: "u" });
    expect(withoutRedacted({ type: "braze", credentials: { api_key: "new" } })).toEqual({ type: "braze", credentials: { api_key: "new" } });
  });

  it("ids from CSV uploads", () => {
    expect(idsFromCsv("u1\nu2\n\nu1\r\n")).toEqual(["u1", "u2"]);
    expect(idsFromCsv('"email","user_id"\n"a@x","u 1"\n"b@x","u,2"\n')).toEqual(["u 1", "u,2"]);
    expect(idsFromCsv("user_id,device_id\nu1,d1\n,d2", "device_id")).toEqual(["d1", "d2"]);
    expect(idsFromCsv("")).toEqual([]);
  });
});
