import { describe, expect, it } from "vitest";
import { qualitySentences, readableFeature } from "../../../src/edge/ui/prediction-words";

describe("a prediction's quality in words", () => {
  it("reads AUC, the top decile's worth and a win over the baseline", () => {
    expect(qualitySentences({ auc: 0.742, positive_rate: 0.1, precision_at_10pct: 0.32 }, { auc: 0.71 })).toEqual([
      "It ranks usefully: a user who reached the goal was scored above one who did not 74.2 % of the time (AUC 0.742; a coin toss is 50 %).",
      "Of the 10 % of users it scores highest, 32.0 % reached the goal: 3.2× the 10.0 % of all users.",
      "It beats the simple baseline (how recently and how often each user did it), whose AUC is 0.710.",
    ]);
  });

  it("says so when the baseline ranks better, or as well", () => {
    expect(qualitySentences({ auc: 0.7 }, { auc: 0.76 }).at(-1)).toBe(
      "The simple baseline (how recently and how often each user did it) ranks better (AUC 0.760): prefer a cohort on those counts until the model improves.",
    );
    expect(qualitySentences({ auc: 0.7 }, { auc: 0.702 }).at(-1)).toMatch(/ranks as well \(AUC 0.702\): the model adds nothing/);
    expect(qualitySentences(undefined, undefined)).toEqual(["No holdout quality stored for this version."]);
  });

  it("adds the served reading when there is one", () => {
    expect(qualitySentences({ auc: 0.8 }, undefined, { auc: 0.77, users: 1200 }).at(-1)).toBe(
      "On what 1,200 users were served and did next, its AUC is 0.770.",
    );
  });

  it("names features as people read them", () => {
    expect(readableFeature("goal_count_30d")).toBe("goal count, 30 days");
    expect(readableFeature("days_since_last_goal")).toBe("days since last goal");
  });
});
