import { describe, expect, it } from "vitest";
import { estimateWords } from "../../../src/edge/ui/pages/cohorts";

const base = { profiles: 4372, sampled: 500, exact: false };

describe("a cohort size preview in words", () => {
  it("says the exact size when every profile was read", () => {
    expect(estimateWords({ ...base, profiles: 120, sampled: 120, matched: 58, estimate: 58, exact: true, low: 58, high: 58 })).toBe(
      "Exactly 58 of 120 profiles would be in this cohort (every profile read, from its stored events).",
    );
  });

  it("gives the interval and what it rests on when sampled", () => {
    expect(estimateWords({ ...base, matched: 7, estimate: 61, low: 30, high: 125 })).toBe(
      "30–125 of 4,372 profiles would be in this cohort (95 % interval; 7 of 500 sampled profiles match, about 61).",
    );
  });

  it("warns when no sampled profile matches", () => {
    expect(estimateWords({ ...base, matched: 0, estimate: 0, low: 0, high: 33 })).toMatch(
      /^No sampled profile matches: between 0 and 33 of 4,372 profiles .* Check the event and property names\.$/,
    );
  });
});
