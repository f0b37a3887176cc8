import { describe, expect, it } from "vitest";
import { applyUserProperties } from "../../src/core/user-properties";

describe("applyUserProperties", () => {
  it("plain keys are $set and do not touch other properties", () => {
    expect(applyUserProperties({ a: 1, b: 2 }, { a: 3 })).toEqual({ a: 3, b: 2 });
  });

  it("does not modify its input", () => {
    const current = { tags: ["a"] };
    applyUserProperties(current, { $append: { tags: "b" } });
    expect(current).toEqual({ tags: ["a"] });
  });

  it("$setOnce keeps an existing value, sets a missing one", () => {
    expect(applyUserProperties({ a: 1 }, { $setOnce: { a: 2, b: 3 } })).toEqual({ a: 1, b: 3 });
  });

  it("$set runs before $setOnce (server order), whatever the key order", () => {
    expect(applyUserProperties({}, { $setOnce: { a: "once" }, $set: { a: "set" } })).toEqual({ a: "set" });
  });

  it("$unset runs before $set", () => {
    expect(applyUserProperties({ a: 1 }, { $set: { a: 2 }, $unset: { a: "-" } })).toEqual({ a: 2 });
  });

  it("$add starts from 0, accepts numeric strings, leaves non-numbers alone", () => {
    expect(applyUserProperties({ n: 2, s: "x" }, { $add: { n: 3, m: "4", s: 1, bad: "x" } })).toEqual({ n: 5, m: 4, s: "x" });
    expect(applyUserProperties({ n: 2 }, { $add: { n: -2.5 } })).toEqual({ n: -0.5 });
  });

  it("$append / $prepend add each element of an array and turn a scalar into a list", () => {
    expect(applyUserProperties({ t: "a" }, { $append: { t: ["b", "c"] } })).toEqual({ t: ["a", "b", "c"] });
    expect(applyUserProperties({ t: ["a"] }, { $prepend: { t: "z" } })).toEqual({ t: ["z", "a"] });
    expect(applyUserProperties({}, { $append: { t: "a" } })).toEqual({ t: ["a"] });
    expect(applyUserProperties({ t: ["a"] }, { $append: { t: "a" } })).toEqual({ t: ["a", "a"] });
  });

  it("$preInsert / $postInsert add only values not already present, keeping order", () => {
    expect(applyUserProperties({ t: ["b"] }, { $preInsert: { t: ["a", "b", "c"] } })).toEqual({ t: ["a", "c", "b"] });
    expect(applyUserProperties({ t: ["b"] }, { $postInsert: { t: ["a", "b", "a"] } })).toEqual({ t: ["b", "a"] });
  });

  it("$remove drops every occurrence, comparing objects by value", () => {
    expect(applyUserProperties({ t: ["a", "b", "a", { k: 1 }] }, { $remove: { t: ["a", { k: 1 }] } })).toEqual({ t: ["b"] });
    expect(applyUserProperties({}, { $remove: { t: "a" } })).toEqual({});
  });

  it("$clearAll empties the properties before later operations of the same event", () => {
    expect(applyUserProperties({ a: 1, b: 2 }, { $clearAll: "-", $set: { c: 3 } })).toEqual({ c: 3 });
  });
});
