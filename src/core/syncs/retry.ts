/**
 * `Retry-After` as milliseconds from `now`: delta-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"); a date in the past is 0. Null when absent or
 * unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  const text = value?.trim() ?? "";
  if (text === "") return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // RFC 9110 dates always name the day of the week; a bare number is never a date.
  if (!/^[A-Za-z]{3},/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * How long to wait before retry number `retry` (1 = the first) of a delivery: what the
 * destination asked for in `Retry-After` if it said, else exponential backoff with jitter
 * (`backoffMs` doubling, times 0.5–1.5), at most `maxMs`. Null when the destination asks
 * for longer than `maxMs`: the run stops there and a later run resumes.
 */
export function retryDelay(retry: number, backoffMs: number, retryAfter: string | null, now: number, maxMs: number, random = Math.random()): number | null {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== null) return asked > maxMs ? null : asked;
  return Math.min(maxMs, Math.round(backoffMs * 2 ** (retry - 1) * (0.5 + random)));
}
