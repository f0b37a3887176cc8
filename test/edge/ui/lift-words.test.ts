import { describe, expect, it } from "vitest";
import { liftReport } from "../../../src/core/lift";
import { liftSentences } from "../../../src/edge/ui/lift-words";

describe("lift in plain words", () => {
  it("says what each arm did, the lift with its interval, and when each test may be read", () => {
    const words = liftSentences(
      liftReport(
        { users: 1000, conversions: 120, value: { sum: 1200, sum_squares: 30000 } },
        { users: 1000, conversions: 100, value: { sum: 1000, sum_squares: 25000 } },
      ),
      50,
    );
    expect(words[0]).toBe("Treatment converted 12.0 % of 1,000 users vs 10.0 % of 1,000 in control; +20 % (95 % interval −7 % … +54 %).");
    expect(words[1]).toBe("That is +2.0 points (95 % interval −0.7 … +4.7); p = 0.153 — valid when read once, at a size chosen in advance.");
    expect(words[2]).toMatch(
      /^Always-valid test \(may be read at any time\): no winner yet, lift \+2\.0 points \(95 % always-valid interval −\d\.\d … \+\d\.\d\)\.$/,
    );
    expect(words[3]).toMatch(/^Value per user: 1\.20 vs 1\.00 \(difference \+0\.20, 95 % interval/);
  });

  it("names a winner only when the always-valid interval excludes zero", () => {
    const words = liftSentences(liftReport({ users: 20_000, conversions: 2_600 }, { users: 20_000, conversions: 2_000 }), 50);
    expect(words[2]).toContain("treatment wins");
  });

  it("explains what is missing instead of showing empty numbers", () => {
    expect(liftSentences(liftReport({ users: 0, conversions: 0 }, { users: 0, conversions: 0 }), 10)[0]).toMatch(/^No user has been shown/);
    expect(liftSentences(liftReport({ users: 10, conversions: 1 }, { users: 0, conversions: 0 }), 0)[1]).toMatch(/no control group/);
    expect(liftSentences(liftReport({ users: 10, conversions: 1 }, { users: 0, conversions: 0 }), 10)[2]).toBe("Lift needs users in both groups.");
  });
});
