import { describe, expect, it } from "vitest";
import { cohortDefinitionSchema } from "../../../src/core/segments/schema";
import { addFilter, addNode, applyEdit, removeIndexed, wrapInGroup } from "../../../src/edge/ui/cohort-edit";
import { cohortFromFields, cohortToFields } from "../../../src/edge/ui/cohort-form";
import { decodeValue, encodeValue } from "../../../src/edge/ui/cohort-values";
import { fieldErrors } from "../../../src/edge/ui/forms";
import { behavioral, CORPUS, normalised, posted, randomDefinitions } from "./cohort-editor-helpers";

describe("the cohort editor", () => {
  const roundTrip = (definition: unknown) => {
    const fields = cohortToFields(definition);
    expect(fields, JSON.stringify(definition)).not.toBeNull();
    const built = cohortFromFields(fields!);
    expect(built.problems ?? {}).toEqual({});
    return { fields: fields!, rebuilt: built.definition };
  };

  it.each(Object.entries(CORPUS))("round-trips %s: definition → fields → the same definition", (_, match) => {
    const definition = behavioral(match);
    expect(cohortDefinitionSchema.safeParse(definition).success).toBe(true);
    const { fields, rebuilt } = roundTrip(definition);
    expect(normalised(rebuilt)).toEqual(normalised(definition));
    // The fields are a fixed point: the rebuilt definition shows as the same fields.
    expect(cohortToFields(rebuilt)).toEqual(fields);
  });

  it("round-trips through what the rendered editor posts", async () => {
    for (const match of Object.values(CORPUS)) {
      const definition = behavioral(match);
      const fields = cohortToFields(definition)!;
      const browser = { type: "behavioral", ...(await posted(fields)) };
      expect(normalised(cohortFromFields(browser).definition)).toEqual(normalised(definition));
    }
  });

  it("round-trips 300 random definitions (nesting, negation, every clause, window and measure)", async () => {
    const kinds = new Set<string>();
    for (const definition of randomDefinitions(300, 42)) {
      expect(cohortDefinitionSchema.safeParse(definition).success, JSON.stringify(definition)).toBe(true);
      const { fields, rebuilt } = roundTrip(definition);
      expect(normalised(rebuilt)).toEqual(normalised(definition));
      expect(normalised(cohortFromFields({ type: "behavioral", ...(await posted(fields)) }).definition)).toEqual(normalised(definition));
      for (const [k, v] of Object.entries(fields)) if (k.endsWith(".kind")) kinds.add(v);
    }
    expect([...kinds].sort()).toEqual([
      "all",
      "between",
      "cohort",
      "computation",
      "group",
      "performed",
      "prediction",
      "rolling",
      "sequence",
      "since",
      "since_last",
      "user_property",
    ]);
  });

  it("names fields by tree position; negation is the node's 'not' count", () => {
    const fields = cohortToFields(behavioral(CORPUS.nestedAndNegated))!;
    expect(fields).toMatchObject({
      "n.kind": "group",
      "n.join": "all",
      "n.0.0.kind": "cohort",
      "n.0.1.1.not": "1",
      "n.0.1.1.id": "coh_b",
      "n.1.not": "1",
      "n.1.join": "any",
      "n.2.not": "2",
      "n.3.kind": "sequence",
      "n.3.step0.f.0.value": "x",
      "n.3.within.days": "2",
      "n.3.window.duration.days": "30",
    });
    expect(cohortToFields({ type: "static" })).toEqual({ type: "static" });
    expect(cohortFromFields({ type: "static", "n.kind": "cohort", "n.id": "x" }).definition).toEqual({ type: "static" });
    expect(cohortToFields({ type: "behavioral", match: { bogus: {} } })).toBeNull();
  });

  it("text boxes keep values exact: JSON when the plain text would read back differently", () => {
    const cases: [unknown, string, string][] = [
      ["pro", "eq", "pro"],
      ["42", "eq", '"42"'],
      [42, "eq", "42"],
      [null, "eq", "null"],
      ["", "eq", '""'],
      [["a", "b"], "in", "a,b"],
      [["a,b"], "in", '["a,b"]'],
      [[1, 2], "eq", "[1,2]"],
      [{ a: 1 }, "eq", '{"a":1}'],
    ];
    for (const [value, op, text] of cases) {
      expect(encodeValue(value, op)).toBe(text);
      expect(decodeValue(text, op)).toEqual(value);
    }
  });

  it("problems the API would only report as 'Invalid input' are found while building", () => {
    const { problems } = cohortFromFields({
      type: "behavioral",
      "n.kind": "group",
      "n.join": "all",
      "n.0.kind": "prediction",
      "n.0.id": "prd_1",
      "n.0.mode": "compare",
      "n.0.value": "",
      "n.1.kind": "performed",
      "n.1.event.type": "A",
      "n.1.window.kind": "between",
      "n.1.window.from": "yesterday",
      "n.1.window.to": "",
    });
    expect(problems).toEqual({ "n.0.value": "Required", "n.1.window.from": expect.stringMatching(/^A date/), "n.1.window.to": "Required" });
  });

  it("maps API error paths in nested nodes back to their fields", () => {
    const { paths } = cohortFromFields(cohortToFields(behavioral(CORPUS.nestedAndNegated))!);
    const error = (field: string, message = field) => ({ field, message });
    const body = {
      error: {
        code: "invalid_request",
        message: "Invalid definition",
        details: [
          error("match.all.0.any.1.all.0.user_property.value"),
          error("match.all.0.any.1.all.1.not.cohort.id"),
          error("match.all.1.not.any"),
          error("match.all.2.not.not.cohort.id"),
          error("match.all.3.not.sequence.steps.0.filters.0.value"),
          error("match.all.3.not.sequence.steps.1.type"),
          error("match.all.3.not.sequence.within"),
          error("match.all.3.not.sequence.window.duration.days"),
          error("match.all.3.not.sequence.window.duration"),
          error("match"),
          error("definition", "unknown cohort coh_x"),
        ],
      },
    };
    expect(fieldErrors(body, paths, "_form")).toEqual({
      "n.0.1.0.value": "match.all.0.any.1.all.0.user_property.value",
      "n.0.1.1.id": "match.all.0.any.1.all.1.not.cohort.id",
      "n.1.join": "match.all.1.not.any",
      "n.2.id": "match.all.2.not.not.cohort.id",
      "n.3.step0.f.0.value": "match.all.3.not.sequence.steps.0.filters.0.value",
      "n.3.step1.type": "match.all.3.not.sequence.steps.1.type",
      "n.3.within": "match.all.3.not.sequence.within",
      "n.3.window.duration.days": "match.all.3.not.sequence.window.duration.days",
      "n.3.window.duration": "match.all.3.not.sequence.window.duration",
      "n.kind": "match",
      _form: "definition: unknown cohort coh_x",
    });
    const measures = cohortFromFields(cohortToFields(behavioral(CORPUS.measures))!).paths;
    expect(
      fieldErrors(
        { error: { message: "x", details: [error("match.all.0.performed.measure.sum"), error("match.all.2.performed.event.filters")] } },
        measures,
        "_form",
      ),
    ).toEqual({
      "n.0.measure_property": "match.all.0.performed.measure.sum",
      "n.2.event.type": "match.all.2.performed.event.filters",
    });
  });

  it("structural edits: add conditions, groups and filters; remove renumbers the siblings", () => {
    const start = cohortToFields(behavioral({ all: [{ cohort: { id: "a" } }, { cohort: { id: "b" } }, { cohort: { id: "c" } }] }))!;
    const added = addNode(start, "n", "group");
    expect(added.focus).toBe("n.3.kind");
    expect(added.fields).toMatchObject({ "n.3.kind": "group", "n.3.join": "all", "n.3.0.kind": "performed" });
    const withFilter = addFilter(added.fields, "n.3.0.event");
    expect(withFilter).toEqual({
      fields: { ...added.fields, "n.3.0.event.f.0.property": "", "n.3.0.event.f.0.op": "eq", "n.3.0.event.f.0.value": "" },
      focus: "n.3.0.event.f.0.property",
    });

    const removed = removeIndexed(withFilter.fields, "n.1");
    expect(removed["n.1.id"]).toBe("c");
    expect(removed["n.2.kind"]).toBe("group");
    expect(removed["n.2.0.event.f.0.op"]).toBe("eq");
    expect(removed["n.3.kind"]).toBeUndefined();
    expect(cohortFromFields(removed).definition).toMatchObject({
      match: {
        all: [{ cohort: { id: "a" } }, { cohort: { id: "c" } }, { all: [{ performed: { event: { type: "", filters: [{ property: "", op: "eq" }] } } }] }],
      },
    });

    // A clause at the root becomes a group when a condition is added to it; its negation goes with it.
    const root = cohortToFields(behavioral({ not: CORPUS.rootSequence }))!;
    expect(wrapInGroup(root, "n")).toMatchObject({
      "n.kind": "group",
      "n.join": "all",
      "n.0.kind": "sequence",
      "n.0.not": "1",
      "n.0.step0.type": "Product Added",
    });
    const grown = applyEdit(root, "add-condition n");
    expect(cohortFromFields(grown.fields).definition).toMatchObject({ match: { all: [{ not: CORPUS.rootSequence }, { performed: { event: { type: "" } } }] } });

    const filters = cohortToFields(behavioral(CORPUS.trickyFilters))!;
    const fewer = applyEdit(filters, "remove n.event.f.0");
    expect(fewer.focus).toBe("edit:add-filter n.event");
    type Performed = { performed: { event: { filters: unknown[] } } };
    const rebuilt = (cohortFromFields(fewer.fields).definition as { match: Performed }).match;
    expect(rebuilt.performed.event.filters).toEqual((CORPUS.trickyFilters as Performed).performed.event.filters.slice(1));
    expect(applyEdit(filters, "remove n")).toEqual({ fields: filters });
    expect(applyEdit(filters, "refresh n.window.kind")).toEqual({ fields: filters, focus: "n.window.kind" });
    expect(applyEdit(filters, "add-condition x.0")).toEqual({ fields: filters });
  });
});
