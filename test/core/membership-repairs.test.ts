import { describe, expect, it } from "vitest";
import { membershipRepairs } from "../../src/core/membership-repairs";

describe("membership repairs", () => {
  it("adds what the index misses, removes what it keeps wrongly, and leaves other profiles alone", () => {
    const profiles = new Map([
      ["u:a", ["coh_1", "coh_2"]],
      ["u:b", []],
    ]);
    const index = [
      { cohortId: "coh_1", profileKey: "u:a" },
      { cohortId: "coh_1", profileKey: "u:b" },
      { cohortId: "coh_9", profileKey: "u:not-compared" },
    ];
    expect(membershipRepairs(profiles, index)).toEqual({ add: [{ cohortId: "coh_2", profileKey: "u:a" }], remove: [{ cohortId: "coh_1", profileKey: "u:b" }] });
  });

  it("an index that agrees needs nothing", () => {
    expect(membershipRepairs(new Map([["d:x", ["coh_1"]]]), [{ cohortId: "coh_1", profileKey: "d:x" }])).toEqual({ add: [], remove: [] });
  });
});
