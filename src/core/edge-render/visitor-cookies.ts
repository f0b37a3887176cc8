/**
 * The visitor as the analytics SDK on the page stored it in cookies (the only storage a
 * server sees): Amplitude's `AMP_<first 10 of the key>`, PostHog's `ph_<key>_posthog`,
 * Segment's `ajs_user_id` / `ajs_anonymous_id`, RudderStack's `rl_user_id` /
 * `rl_anonymous_id` (plain, or `RS_ENC_v3_` + base64). The same order of preference as the
 * browser client (src/edge/client/tailor-client.ts); the key is the project's ingest key,
 * which is what the page's SDK was configured with.
 */
export interface Visitor {
  userId?: string;
  deviceId?: string;
}

export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

const attempt = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};
const decode = (v: string) => attempt(() => decodeURIComponent(v)) ?? v;
const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

/** A Segment or RudderStack id cookie: a JSON string (or a bare id), RudderStack's maybe encoded. */
function idCookie(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let v: string | undefined = decode(raw);
  if (v.startsWith("RS_ENC_v3_")) v = attempt(() => atob(v!.slice(10)));
  if (v === undefined) return undefined;
  const parsed = attempt(() => JSON.parse(v) as unknown);
  return text(typeof parsed === "string" ? parsed : v);
}

export function visitorFromCookies(header: string | null | undefined, apiKey: string): Visitor {
  const cookies = parseCookies(header);
  const amp = cookies.get(`AMP_${apiKey.slice(0, 10)}`);
  if (amp !== undefined) {
    const s = attempt(() => JSON.parse(decode(atob(decode(amp)))) as { userId?: unknown; deviceId?: unknown });
    const v = { userId: text(s?.userId), deviceId: text(s?.deviceId) };
    if (v.userId || v.deviceId) return v;
  }
  const ph = cookies.get(`ph_${apiKey}_posthog`);
  if (ph !== undefined) {
    const s = attempt(() => JSON.parse(decode(ph)) as { distinct_id?: unknown; $device_id?: unknown; $user_state?: unknown });
    const id = text(s?.distinct_id);
    if (id !== undefined) return s?.$user_state === "identified" ? { userId: id, deviceId: text(s?.$device_id) } : { deviceId: text(s?.$device_id) ?? id };
  }
  for (const prefix of ["ajs", "rl"]) {
    const v = { userId: idCookie(cookies.get(`${prefix}_user_id`)), deviceId: idCookie(cookies.get(`${prefix}_anonymous_id`)) };
    if (v.userId || v.deviceId) return v;
  }
  return {};
}
