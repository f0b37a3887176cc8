import { describe, expect, it } from "vitest";
import { closestName, unseenNames } from "../../../src/core/segments/unseen-names";

const vocabulary = {
  events: ["Order Completed", "Product Added", "Page Viewed"],
  eventProperties: { "Order Completed": ["revenue", "Country"], "Product Added": ["StockCode"] },
  userProperties: ["plan", "Country"],
};

describe("names a definition uses that the project never saw", () => {
  it("warns of an event type with a typo, naming its field and the event meant", () => {
    const definition = {
      type: "behavioral",
      match: { all: [{ performed: { event: { type: "Product Added" } } }, { not: { performed: { event: { type: "order completed" } } } }] },
    };
    expect(unseenNames(definition, vocabulary)).toEqual([
      {
        path: "match.all.1.not.performed.event.type",
        message: 'No event named "order completed" has been seen in this project (did you mean "Order Completed"?)',
      },
    ]);
  });

  it("warns of unknown filter properties and user properties; '*' and known names are quiet", () => {
    const definition = {
      type: "behavioral",
      match: {
        any: [
          {
            performed: {
              event: {
                type: "Order Completed",
                filters: [
                  { property: "revenu", op: "gt", value: 10 },
                  { property: "Country", op: "eq", value: "France" },
                ],
              },
            },
          },
          { performed: { event: { type: "*" } } },
          { user_property: { property: "Plan", op: "eq", value: "pro" } },
          { sequence: { steps: [{ type: "Product Added" }, { type: "Checkout" }], within: { hours: 1 } } },
        ],
      },
    };
    expect(unseenNames(definition, vocabulary)).toEqual([
      {
        path: "match.any.0.performed.event.filters.0.property",
        message: '"Order Completed" events have never carried a property "revenu" (did you mean "revenue"?)',
      },
      { path: "match.any.2.user_property.property", message: 'No user property "Plan" has been seen in this project (did you mean "plan"?)' },
      { path: "match.any.3.sequence.steps.1.type", message: 'No event named "Checkout" has been seen in this project' },
    ]);
  });

  it("reads predictions' and computed properties' event specs the same way", () => {
    expect(unseenNames({ goal: { event: { type: "Order Complete" } }, horizon_days: 30 }, vocabulary)).toEqual([
      { path: "goal.event.type", message: 'No event named "Order Complete" has been seen in this project (did you mean "Order Completed"?)' },
    ]);
    expect(closestName("zzz", vocabulary.events)).toBeUndefined();
  });
});
