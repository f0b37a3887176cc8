import { describe, expect, it } from "vitest";
import { idsFromCsv } from "../../../src/edge/ui/csv";
import { definitionFromPaths, fieldsFromPaths, parseValue, showValue } from "../../../src/edge/ui/forms";

// The generic form helpers; the cohort editor's tests are in cohort-form.test.ts, the recommendation form's in recommendation-form.test.ts.
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
    expect(fieldsFromPaths(definition, ["d.goal.event.type", "d.horizon_days:number"])).toEqual({
      "d.goal.event.type": "Order Completed",
      "d.horizon_days:number": "30",
    });
  });

  it("ids from CSV uploads", () => {
    expect(idsFromCsv("u1\nu2\n\nu1\r\n")).toEqual(["u1", "u2"]);
    expect(idsFromCsv('"email","user_id"\n"a@x","u 1"\n"b@x","u,2"\n')).toEqual(["u 1", "u,2"]);
    expect(idsFromCsv("user_id,device_id\nu1,d1\n,d2", "device_id")).toEqual(["d1", "d2"]);
    expect(idsFromCsv("")).toEqual([]);
  });
});
