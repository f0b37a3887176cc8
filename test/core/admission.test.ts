import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { admitJobProfiles, admitProfiles, countWakeup } from "../../src/core/admission";
import { readConfig } from "../../src/core/config";

// Live requests and background jobs under one bound of active profiles (here 10 per 10 s).
const config = readConfig({ MAX_ACTIVE_PROFILES: "10", ACTIVE_PROFILE_SECONDS: "10" } as never);
const live = (...ids: string[]) =>
  admitProfiles(
    config,
    "p",
    ids.map((id) => ({ kind: "user" as const, id })),
  );
const job = (...ids: string[]) =>
  admitJobProfiles(
    config,
    "p",
    ids.map((id) => `u:${id}`),
  );
const wake = (id: string) => countWakeup(config, "p", { kind: "user", id });

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

  it("profiles woken by their alarms are counted: live requests and jobs make room for them", () => {
    vi.advanceTimersByTime(120_000); // past the windows the tests above filled (the clock restarts per test)
    expect(live("a0", "a1", "a2", "a3", "a4", "a5", "a6")).toEqual({ ok: true });
    wake("a0"); // already counted: costs nothing
    wake("w0");
    wake("w1");
    // 7 live + 2 woken: one more live profile fits, not two; a job finds no room.
    expect(live("a7", "a8").ok).toBe(false);
    expect(live("a7")).toEqual({ ok: true });
    expect(job("j0").ok).toBe(false);
    // Woken past the bound, a profile is still counted (it is resident): live traffic waits a window.
    wake("w2");
    const refused = live("a9");
    expect(refused.ok).toBe(false);
    expect(refused.ok ? 0 : refused.retryAfterMs).toBeLessThanOrEqual(10_000);
    vi.advanceTimersByTime(5_000);
    wake("w0"); // woken again: its window entry moves on
    vi.advanceTimersByTime(5_001);
    expect(live("b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8")).toEqual({ ok: true });
    expect(live("b9").ok).toBe(false);
    vi.advanceTimersByTime(5_000);
    expect(live("b9")).toEqual({ ok: true });
  });
});
