import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { admitJobProfiles, admitProfiles } from "../../src/core/admission";
import { readConfig } from "../../src/core/config";

// Live requests and background jobs under one bound of active profiles (here 10 per 10 s).
const config = readConfig({ MAX_ACTIVE_PROFILES: "10", ACTIVE_PROFILE_SECONDS: "10" } as never);
const live = (...ids: string[]) => admitProfiles(config, "p", ids.map((id) => ({ kind: "user" as const, id })));
const job = (...ids: string[]) => admitJobProfiles(config, "p", ids.map((id) => `u:${id}`));

beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
afterEach(() => vi.useRealTimers());

describe("admission of live requests and jobs", () => {
  it("a job waits while live traffic holds the bound, holds live traffic to half meanwhile, and then gets its half", () => {
    expect(live("l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7")).toEqual({ ok: true });
    // No room beside the 8 live profiles: the job is refused, and live traffic is held to 5 from now on.
    expect(job("j0", "j1", "j2").ok).toBe(false);
    expect(live("l8").ok).toBe(false);
    expect(live("l0", "l1").ok).toBe(true); // profiles already in the window cost nothing
    // The live window ages out: the job gets in, up to its half.
    vi.advanceTimersByTime(10_001);
    expect(job("j0", "j1", "j2", "j3", "j4")).toEqual({ ok: true });
    expect(job("j5").ok).toBe(false);
    // Live traffic keeps the other half beside it.
    expect(live("m0", "m1", "m2", "m3", "m4")).toEqual({ ok: true });
    expect(live("m5").ok).toBe(false);
  });

  it("without a job running, live traffic has the whole bound", () => {
    vi.advanceTimersByTime(60_000);
    expect(live(...Array.from({ length: 10 }, (_, i) => `x${i}`))).toEqual({ ok: true });
    expect(live("x10").ok).toBe(false);
  });
});
