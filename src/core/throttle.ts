/**
 * A token bucket: `rate` tokens a second up to `capacity`. Amplitude throttles a user or
 * device that sends more than its events-per-second allowance averaged over a window;
 * capacity = rate × window gives the same average with the burst a batch needs.
 */
export interface TokenBucket {
  tokens: number;
  updatedAt: number;
}

export interface ThrottleLimits {
  eventsPerSecond: number;
  windowSeconds: number;
}

export function fullBucket(limits: ThrottleLimits, now: number): TokenBucket {
  return { tokens: capacityOf(limits), updatedAt: now };
}

function capacityOf(limits: ThrottleLimits): number {
  return limits.eventsPerSecond * limits.windowSeconds;
}

/**
 * Takes `count` tokens if all of them are there (a request is throttled whole for its
 * user, never split). Returns the new bucket and, when refused, how long until enough
 * tokens will have refilled.
 */
export function takeTokens(
  bucket: TokenBucket,
  count: number,
  limits: ThrottleLimits,
  now: number,
): { ok: true; bucket: TokenBucket } | { ok: false; bucket: TokenBucket; retryAfterMs: number; eps: number } {
  const capacity = capacityOf(limits);
  const elapsed = Math.max(0, now - bucket.updatedAt) / 1000;
  const tokens = Math.min(capacity, bucket.tokens + elapsed * limits.eventsPerSecond);
  const refilled = { tokens, updatedAt: now };
  if (count <= tokens) return { ok: true, bucket: { tokens: tokens - count, updatedAt: now } };
  // More than the whole bucket can never pass at once: wait out a window (clients split).
  const waitMs = count > capacity ? limits.windowSeconds * 1000 : ((count - tokens) / limits.eventsPerSecond) * 1000;
  return {
    ok: false,
    bucket: refilled,
    retryAfterMs: Math.max(1000, Math.ceil(waitMs)),
    // The average rate over the window had these events been accepted.
    eps: Math.round((capacity - tokens + count) / limits.windowSeconds),
  };
}
