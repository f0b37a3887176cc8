import { fromBase64 } from "./base64";

/**
 * Secure mode for `/v1/personalize`: the public key alone no longer reads a user's
 * public cohorts — the page must also carry `user_hash`, HMAC-SHA256 of the user id under
 * the project's personalize key, computed by the site's server (as feature-flag
 * services' identity verification does). The key is derived from the Worker secret
 * `CREDENTIALS_KEY`, the project and a rotation counter, so it is never stored.
 */
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function hmac(key: Uint8Array<ArrayBuffer>, text: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(text)));
}

const fromHex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

/** The project's personalize key (hex), as the admin API hands it to the site's server. */
export function personalizeKey(credentialsKey: string, projectId: string, rotation: number): Promise<string> {
  return hmac(fromBase64(credentialsKey.trim()), `personalize\u0000${projectId}\u0000${rotation}`);
}

/** What the site's server computes for a user id: hex HMAC-SHA256 under the personalize key. */
export function userHash(keyHex: string, userId: string): Promise<string> {
  return hmac(fromHex(keyHex), userId);
}

/** Compares two hex digests without stopping at the first difference. */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
