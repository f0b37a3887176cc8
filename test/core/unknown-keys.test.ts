import { describe, expect, it } from "vitest";
import { z } from "zod";
import { cohortDefinitionSchema } from "../../src/core/segments/schema";
import { predictionSchema } from "../../src/core/predictions";
import { unknownKeys } from "../../src/core/unknown-keys";

const cohorts = z.toJSONSchema(cohortDefinitionSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
const predictions = z.toJSONSchema(predictionSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
const performed = (extra: Record<string, unknown> = {}) => ({ performed: { event: { type: "Order Completed" }, op: ">=", value: 2, ...extra } });

describe("unknown keys in a definition", () => {
  it("finds none in a definition of known keys, however deep (recursive groups, unions, records of any value)", () => {
    const definition = {
      type: "behavioral",
      match: {
        all: [
          performed(),
          { not: { any: [{ user_property: { property: "plan", op: "eq", value: { nested: ["any", "json"] } } }, { cohort: { id: "coh_1" } }] } },
          {
            performed: {
              event: { type: "A", filters: [{ property: "price", op: "gt", value: 3 }] },
              measure: { sum: "price" },
              window: { kind: "rolling", duration: { days: 7 } },
            },
          },
          { prediction: { id: "prd_1", top_percent: 10 } },
        ],
      },
    };
    expect(unknownKeys(cohorts, definition)).toEqual([]);
    expect(unknownKeys(cohorts, { type: "static" })).toEqual([]);
  });

  it("names each key the language does not have, by its path", () => {
    expect(unknownKeys(cohorts, { type: "behavioral", match: { all: [performed({ count: { gte: 2 } })] } })).toEqual(["match.all.0.performed.count"]);
    expect(unknownKeys(cohorts, { type: "behavioral", match: performed(), matches: 1 })).toEqual(["matches"]);
    expect(
      unknownKeys(cohorts, {
        type: "behavioral",
        match: { performed: { event: { type: "A", filter: [] }, window: { kind: "rolling", duration: { weeks: 1 } } } },
      }).sort(),
    ).toEqual(["match.performed.event.filter", "match.performed.window.duration.weeks"]);
    // A clause with a second key (strict in the schema) is named too.
    expect(unknownKeys(cohorts, { type: "behavioral", match: { ...performed(), extra: true } })).toEqual(["match.extra"]);
    expect(unknownKeys(predictions, { goal: { event: { type: "Order Completed" } }, horizon_days: 30, horizon: 30 })).toEqual(["horizon"]);
  });

  it("leaves shape errors to validation: a value that fits no branch reports no key", () => {
    expect(unknownKeys(cohorts, { type: "behavioral", match: 3 })).toEqual([]);
  });
});
