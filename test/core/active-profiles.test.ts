import { describe, expect, it } from "vitest";
import { ActiveProfiles, JOB_SHARE } from "../../src/core/active-profiles";

describe("ActiveProfiles", () => {
  it("admits profiles up to the bound and refuses the request that would pass it, all or nothing", () => {
    const w = new ActiveProfiles(3, 10_000);
    expect(w.admit(["a", "b"], 0)).toEqual({ ok: true });
    expect(w.admit(["c", "d"], 1_000)).toEqual({ ok: false, retryAfterMs: 9_000 });
    // Nothing of the refused request was counted.
    expect(w.size(1_000)).toBe(2);
    expect(w.admit(["c"], 1_000)).toEqual({ ok: true });
  });

  it("costs nothing for profiles already in the window, and a re-address keeps them in it", () => {
    const w = new ActiveProfiles(2, 10_000);
    w.admit(["a", "b"], 0);
    expect(w.admit(["a", "b"], 5_000)).toEqual({ ok: true });
    // a and b were re-addressed at 5 s: a new one waits until 15 s.
    expect(w.admit(["c"], 9_000)).toEqual({ ok: false, retryAfterMs: 6_000 });
    expect(w.admit(["c"], 15_000)).toEqual({ ok: true });
    expect(w.size(15_000)).toBe(1);
  });

  it("says when enough of the oldest have expired for the whole request", () => {
    const w = new ActiveProfiles(4, 10_000);
    w.admit(["a"], 0);
    w.admit(["b"], 2_000);
    w.admit(["c", "d"], 4_000);
    // Three new need three slots: a (10 s) and b (12 s) must expire, and c with d (14 s).
    expect(w.admit(["x", "y", "z"], 5_000)).toEqual({ ok: false, retryAfterMs: 9_000 });
    expect(w.admit(["x", "y"], 5_000)).toEqual({ ok: false, retryAfterMs: 7_000 });
  });

  it("lets a request larger than the bound through when nothing else is active", () => {
    const w = new ActiveProfiles(2, 10_000);
    expect(w.admit(["a", "b", "c"], 0)).toEqual({ ok: true });
    expect(w.admit(["d"], 1_000).ok).toBe(false);
    expect(w.admit(["d", "e", "f", "g"], 10_000)).toEqual({ ok: true });
  });

  it("with a share below 1, admits new profiles only under that share of the bound", () => {
    const w = new ActiveProfiles(10, 10_000);
    expect(w.admit(["live-1", "live-2", "live-3"], 0)).toEqual({ ok: true });
    expect(w.admit(["job-1", "job-2", "job-3"], 1_000, JOB_SHARE)).toEqual({ ok: false, retryAfterMs: 9_000 });
    expect(w.admit(["job-1", "job-2"], 1_000, JOB_SHARE)).toEqual({ ok: true });
    // At the share, only profiles already in the window get in; the whole bound is still there for share 1.
    expect(w.admit(["live-4", "live-5", "live-6", "live-7", "live-8"], 2_000)).toEqual({ ok: true });
    expect(w.admit(["job-3"], 2_000, JOB_SHARE).ok).toBe(false);
  });
});
