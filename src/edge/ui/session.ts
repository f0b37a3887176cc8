import { fromBase64url, toBase64url as base64url } from "../../core/base64";
import { cacheNamespace } from "../../core/isolate-cache";

/**
 * Admin sessions without server state: the cookie is `<sid>.<expires>.<mac>`, an HMAC
 * (WebCrypto, SHA-256) under a key derived from ADMIN_TOKEN. Rotating the token ends
 * every session. The CSRF token is a second HMAC bound to the session id, so a page can
 * echo it in a header (signed double submit) and no other site can compute it.
 */

export const SESSION_COOKIE = "tailor_admin";
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface Session {
  sid: string;
  expires: number;
}

const encoder = new TextEncoder();
const keys = cacheNamespace<CryptoKey>("session-keys", { maxEntries: 8, ttlMs: Infinity });

/** The HMAC key for sessions: HMAC(ADMIN_TOKEN, label), so the raw token never signs anything. */
function sessionKey(adminToken: string): Promise<CryptoKey> {
  return keys.load(adminToken, async () => {
    const root = await crypto.subtle.importKey("raw", encoder.encode(adminToken), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const derived = await crypto.subtle.sign("HMAC", root, encoder.encode("tailor admin session v1"));
    return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  });
}

async function mac(adminToken: string, message: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", await sessionKey(adminToken), encoder.encode(message));
  return base64url(new Uint8Array(sig));
}

/** Constant-time comparison of two strings. */
export function sameString(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** A new signed session value for the cookie. */
export async function issueSession(adminToken: string, now: number, ttlMs = SESSION_TTL_MS): Promise<string> {
  const sid = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const expires = now + ttlMs;
  return `${sid}.${expires}.${await mac(adminToken, `session:${sid}.${expires}`)}`;
}

/** The session a cookie value carries, or null when it is malformed, forged or expired. */
export async function readSession(adminToken: string, value: string | undefined, now: number): Promise<Session | null> {
  if (value === undefined) return null;
  const match = /^([A-Za-z0-9_-]{16,64})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return null;
  const [, sid, exp, sig] = match as unknown as [string, string, string, string];
  if (!sameString(sig, await mac(adminToken, `session:${sid}.${exp}`))) return null;
  const expires = Number(exp);
  return expires > now ? { sid, expires } : null;
}

/** The CSRF token of a session: pages echo it in `x-csrf-token` (or a `_csrf` form field). */
export function csrfToken(adminToken: string, session: Session): Promise<string> {
  return mac(adminToken, `csrf:${session.sid}`);
}

export async function checkCsrf(adminToken: string, session: Session, provided: string | undefined): Promise<boolean> {
  if (provided === undefined || provided === "") return false;
  return sameString(provided, await csrfToken(adminToken, session));
}

/** Cookies get Secure when the admin is served over https. */
export const isHttps = (url: string) => url.startsWith("https:");

/** The Set-Cookie value for a session (Secure over https; the whole admin path). */
export function sessionCookie(value: string, secure: boolean, maxAgeSeconds = SESSION_TTL_MS / 1000): string {
  return [`${SESSION_COOKIE}=${value}`, "Path=/admin", "HttpOnly", "SameSite=Strict", `Max-Age=${maxAgeSeconds}`, ...(secure ? ["Secure"] : [])].join("; ");
}

/**
 * What a page shows once after a redirect (a new secret: redirect-after-post must not
 * create it again on reload, and the secret must not sit in a URL). The cookie carries
 * the values MACed to the session, so no other session or site can plant one.
 */
export const ONCE_COOKIE = "tailor_once";

export async function sealOnce(adminToken: string, session: Session, values: Record<string, string>): Promise<string> {
  const body = base64url(encoder.encode(JSON.stringify(values)));
  return `${body}.${await mac(adminToken, `once:${session.sid}.${body}`)}`;
}

/** The values a once-cookie carries, or null when it is absent, foreign or forged. */
export async function openOnce(adminToken: string, session: Session, value: string | undefined): Promise<Record<string, string> | null> {
  const match = value === undefined ? null : /^([A-Za-z0-9_-]{1,3000})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (match === null) return null;
  const [, body, sig] = match as unknown as [string, string, string];
  if (!sameString(sig, await mac(adminToken, `once:${session.sid}.${body}`))) return null;
  try {
    const json = JSON.parse(new TextDecoder().decode(fromBase64url(body))) as unknown;
    if (json === null || typeof json !== "object") return null;
    return Object.fromEntries(Object.entries(json).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return null;
  }
}

/** The Set-Cookie value for a once-cookie: minutes at most, cleared by the page that shows it. */
export function onceCookie(value: string, secure: boolean, maxAgeSeconds = 300): string {
  return [`${ONCE_COOKIE}=${value}`, "Path=/admin", "HttpOnly", "SameSite=Strict", `Max-Age=${maxAgeSeconds}`, ...(secure ? ["Secure"] : [])].join("; ");
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", secure, 0);
}

/** A cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
