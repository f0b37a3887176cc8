import { describe, expect, it } from "vitest";
import { compileDefinitions, compileLeniently, DefinitionError } from "../../../src/core/segments/compile";
import { sequenceMatched } from "../../../src/core/segments/engine";
import { cohortDefinitionSchema, computationSchema } from "../../../src/core/segments/schema";
import { definitions, engineFor, ev } from "./helpers";

const T = Date.UTC(2026, 5, 1, 12);
const H = 3_600_000;

describe("the issue's example: added to cart in the last 24 h and no purchase since", () => {
  const set = definitions({
    cohorts: {
      abandoned: {
        type: "behavioral",
        match: {
          all: [
            { performed: { event: { type: "Added To Cart" }, window: { kind: "rolling", duration: { hours: 24 } } } },
            { not: { performed: { event: { type: "Order Completed" }, window: { kind: "since_last", event: { type: "Added To Cart" } } } } },
          ],
        },
      },
    },
  });

  it("enters on the add, leaves on a purchase, re-enters on a new add", () => {
    const engine = engineFor(set);
    engine.evaluateAll(T, {});
    expect(engine.ingest([ev("Added To Cart", T)], T, {}, false).memberships).toEqual([{ cohortId: "abandoned", member: true, at: T }]);
    expect(engine.ingest([ev("Order Completed", T + H)], T + H, {}, false).memberships).toEqual([{ cohortId: "abandoned", member: false, at: T + H }]);
    expect(engine.member("abandoned")).toBe(false);
    engine.ingest([ev("Added To Cart", T + 2 * H)], T + 2 * H, {}, false);
    expect(engine.member("abandoned")).toBe(true);
  });

  it("leaves by time alone, at the instant the add is 24 h old", () => {
    const engine = engineFor(set);
    engine.ingest([ev("Added To Cart", T)], T, {}, false);
    expect(engine.nextChangeAt(T)).toBe(T + 24 * H);
    expect(engine.tick(T + 24 * H - 1, {}).memberships).toEqual([]);
    expect(engine.tick(T + 24 * H, {}).memberships).toEqual([{ cohortId: "abandoned", member: false, at: T + 24 * H }]);
    expect(engine.nextChangeAt(T + 24 * H)).toBeNull();
  });

  it("a purchase that happened before the add does not count", () => {
    const engine = engineFor(set);
    engine.ingest([ev("Added To Cart", T)], T, {}, false);
    engine.ingest([ev("Order Completed", T - H)], T + 1, {}, false); // late-arriving, older purchase
    expect(engine.member("abandoned")).toBe(true);
  });
});

describe("operators", () => {
  it.each([
    [">=", 2, [false, true, true]],
    [">", 2, [false, false, true]],
    ["=", 2, [false, true, false]],
    ["<=", 2, [true, true, false]],
    ["<", 2, [true, false, false]],
  ] as const)("performed count %s %d", (op, value, expected) => {
    const engine = engineFor(definitions({ cohorts: { c: { type: "behavioral", match: { performed: { event: { type: "A" }, op, value } } } } }));
    const seen = [1, 2, 3].map((n) => {
      engine.ingest([ev("A", T + n)], T + n, {}, false);
      return engine.member("c");
    });
    expect(seen).toEqual(expected);
  });

  it("sum and distinct measures, and property filters", () => {
    const engine = engineFor(
      definitions({
        cohorts: {
          spent: { type: "behavioral", match: { performed: { event: { type: "Buy" }, measure: { sum: "price" }, op: ">=", value: 10 } } },
          variety: { type: "behavioral", match: { performed: { event: { type: "View" }, measure: { distinct: "sku" }, op: ">=", value: 2 } } },
          bigOrders: {
            type: "behavioral",
            match: { performed: { event: { type: "Buy", filters: [{ property: "price", op: "gt", value: 5 }] }, op: ">=", value: 2 } },
          },
        },
      }),
    );
    engine.ingest([ev("Buy", T, { price: 6 }), ev("View", T, { sku: "a" }), ev("View", T, { sku: "a" })], T, {}, false);
    expect([engine.member("spent"), engine.member("variety"), engine.member("bigOrders")]).toEqual([false, false, false]);
    engine.ingest([ev("Buy", T, { price: "7" }), ev("View", T, { sku: "b" })], T, {}, false);
    expect([engine.member("spent"), engine.member("variety"), engine.member("bigOrders")]).toEqual([true, true, true]);
  });

  it("user property conditions: equals, in, contains, numeric compare, set / not set", () => {
    const cohort = (up: object) => ({ type: "behavioral", match: { user_property: up } });
    const engine = engineFor(
      definitions({
        cohorts: {
          eq: cohort({ property: "plan", op: "eq", value: "pro" }),
          in: cohort({ property: "country", op: "in", value: ["UK", "EIRE"] }),
          contains: cohort({ property: "email", op: "contains", value: "@shop.example" }),
          tagged: cohort({ property: "tags", op: "eq", value: "vip" }),
          adult: cohort({ property: "age", op: "gte", value: 18 }),
          hasPhone: cohort({ property: "phone", op: "set" }),
          noPhone: cohort({ property: "phone", op: "not_set" }),
          notUk: cohort({ property: "country", op: "neq", value: "UK" }),
        },
      }),
    );
    const props = { plan: "pro", country: "UK", email: "ann@shop.example", tags: ["new", "vip"], age: "21" };
    engine.ingest([], T, props, true);
    expect(["eq", "in", "contains", "tagged", "adult", "hasPhone", "noPhone", "notUk"].map((c) => engine.member(c))).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      false,
    ]);
  });

  it("computed-property conditions, including time since last flipping by the clock", () => {
    const engine = engineFor(
      definitions({
        computations: {
          views: { event: { type: "View" }, aggregate: "count" },
          idle: { event: { type: "*" }, aggregate: "time_since_last" },
        },
        cohorts: {
          many: { type: "behavioral", match: { computation: { id: "views", op: "gte", value: 2 } } },
          dormant: { type: "behavioral", match: { computation: { id: "idle", op: "gt", value: 7 * 24 * H } } },
        },
      }),
    );
    engine.ingest([ev("View", T), ev("View", T)], T, {}, false);
    expect(engine.member("many")).toBe(true);
    expect(engine.nextChangeAt(T)).toBe(T + 7 * 24 * H + 1);
    engine.tick(T + 7 * 24 * H, {});
    expect(engine.member("dormant")).toBe(false);
    engine.tick(T + 7 * 24 * H + 1, {});
    expect(engine.member("dormant")).toBe(true);
  });

  it("cohorts of cohorts follow their dependencies in one pass, whatever the definition order", () => {
    const engine = engineFor(
      definitions({
        cohorts: {
          outer: { type: "behavioral", match: { all: [{ cohort: { id: "inner" } }, { not: { cohort: { id: "vip" } } }] } },
          inner: { type: "behavioral", match: { performed: { event: { type: "A" } } } },
          vip: { type: "static" },
        },
      }),
    );
    engine.evaluateAll(T, {});
    const entered = engine.ingest([ev("A", T)], T, {}, false).memberships.map((m) => [m.cohortId, m.member]);
    expect(entered).toEqual([
      ["inner", true],
      ["outer", true],
    ]);
    const upload = engine.setStatic("vip", true, T + 1, {}).memberships.map((m) => [m.cohortId, m.member]);
    expect(upload).toEqual([
      ["vip", true],
      ["outer", false],
    ]);
  });

  it("rejects unknown references and cycles", () => {
    expect(() => compileDefinitions(definitions({ cohorts: { a: { type: "behavioral", match: { cohort: { id: "missing" } } } } }))).toThrow(DefinitionError);
    expect(() =>
      compileDefinitions(
        definitions({
          cohorts: {
            a: { type: "behavioral", match: { cohort: { id: "b" } } },
            b: { type: "behavioral", match: { not: { cohort: { id: "a" } } } },
          },
        }),
      ),
    ).toThrow(/cycle: a → b → a|cycle: b → a → b/);
  });

  it("compiles leniently what it can: a definition whose reference is gone is left out with its reason, and so is one that needs it", () => {
    const set = definitions({
      computations: { orders: { event: { type: "Order" }, aggregate: "count" } },
      cohorts: {
        buyers: { type: "behavioral", match: { computation: { id: "orders", op: "gte", value: 1 } } },
        orphan: { type: "behavioral", match: { cohort: { id: "was-unparsable" } } },
        "needs-orphan": { type: "behavioral", match: { cohort: { id: "orphan" } } },
      },
    });
    const { compiled, usable, skipped } = compileLeniently({ ...set, skipped: [{ id: "was-unparsable", reason: "no longer parses" }] });
    expect(compiled.cohorts.map((c) => c.id)).toEqual(["buyers"]);
    expect(usable.cohorts.map((c) => c.id)).toEqual(["buyers"]);
    expect(skipped.map((s) => s.id)).toEqual(["was-unparsable", "orphan", "needs-orphan"]);
    expect(skipped[1]!.reason).toMatch(/orphan refers to unknown cohort was-unparsable/);
    // A set that compiles is left whole.
    expect(compileLeniently(definitions({ cohorts: { a: { type: "behavioral", match: { performed: { event: { type: "A" } } } } } })).skipped).toEqual([]);
  });
});

describe("sequences", () => {
  it("E1 then E2 within T, strictly after", () => {
    expect(sequenceMatched([10], [15], 5)).toBe(true);
    expect(sequenceMatched([10], [16], 5)).toBe(false);
    expect(sequenceMatched([10], [10], 5)).toBe(false);
    expect(sequenceMatched([1, 12], [16], 5)).toBe(true);
    expect(sequenceMatched([20], [16], 5)).toBe(false);
  });
});

describe("computations over windows", () => {
  it("every aggregate on a rolling window, and values expiring", () => {
    const aggregates = ["count", "sum", "avg", "min", "max", "first", "last", "most_frequent", "distinct_count", "distinct_values", "first_seen", "last_seen"];
    const set = definitions({
      computations: Object.fromEntries(
        aggregates.map((a) => [a, { event: { type: "Buy" }, aggregate: a, property: "price", window: { kind: "rolling", duration: { hours: 1 } } }]),
      ),
    });
    const engine = engineFor(set);
    engine.ingest([ev("Buy", T, { price: 5 }), ev("Buy", T + 10, { price: 2 }), ev("Buy", T + 20, { price: 5 })], T + 20, {}, false);
    const read = () => Object.fromEntries(set.computations.map((c, i) => [c.id, engine.value(i, T + 20)]));
    expect(read()).toEqual({
      count: 3,
      sum: 12,
      avg: 4,
      min: 2,
      max: 5,
      first: 5,
      last: 5,
      most_frequent: 5,
      distinct_count: 2,
      distinct_values: [2, 5],
      first_seen: T,
      last_seen: T + 20,
    });
    engine.tick(T + H, {});
    expect(engine.value(0, T + H)).toBe(2);
    expect(engine.value(3, T + H)).toBe(2); // min of [2, 5]
  });

  it("since and between dates are inclusive and ignore the clock", () => {
    const set = definitions({
      computations: {
        since: { event: { type: "A" }, aggregate: "count", window: { kind: "since", from: "2026-06-01T12:00:00Z" } },
        between: { event: { type: "A" }, aggregate: "count", window: { kind: "between", from: T, to: T + H } },
      },
    });
    const engine = engineFor(set);
    engine.ingest([ev("A", T - 1), ev("A", T), ev("A", T + H), ev("A", T + H + 1)], T + 2 * H, {}, false);
    expect([engine.value(0, T), engine.value(1, T)]).toEqual([3, 2]);
    expect(engine.nextChangeAt(T + 2 * H)).toBeNull();
  });
});

describe("definition validation", () => {
  it("names the field at fault", () => {
    const bad = computationSchema.safeParse({ event: { type: "A" }, aggregate: "sum" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["property"]);
    const badWindow = computationSchema.safeParse({ event: { type: "A" }, aggregate: "count", window: { kind: "rolling", duration: { minutes: 0 } } });
    expect(badWindow.error?.issues[0]?.path).toEqual(["window", "duration"]);
    const badOp = cohortDefinitionSchema.safeParse({ type: "behavioral", match: { user_property: { property: "age", op: "gt", value: "x" } } });
    expect(badOp.success).toBe(false);
  });
});
