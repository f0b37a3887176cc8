import { fromBase64, toBase64 } from "../base64";

/**
 * Destination credentials at rest. Each value is sealed with AES-256-GCM (WebCrypto)
 * under the Worker secret `CREDENTIALS_KEY` (32 random bytes, base64) and stored as
 * `enc:v1:<base64(iv ‖ ciphertext ‖ tag)>`. The destination id and the field name are the
 * additional authenticated data, so a sealed value opens only where it was written.
 * Values without the prefix were stored before encryption: they open as themselves.
 */
export const SEALED_PREFIX = "enc:v1:";
const IV_BYTES = 12;

/** The key is missing or malformed: nothing is stored (or opened) without it. */
export class CredentialsKeyError extends Error {
  override name = "CredentialsKeyError";
}

/** A fresh key, as `CREDENTIALS_KEY` takes it. */
export function newCredentialsKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export async function importCredentialsKey(base64: string | undefined): Promise<CryptoKey> {
  const text = base64?.trim() ?? "";
  if (text === "") {
    throw new CredentialsKeyError(
      "CREDENTIALS_KEY is not set: destination credentials are stored encrypted under it (wrangler secret put CREDENTIALS_KEY; npm start writes one to .dev.vars)",
    );
  }
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = fromBase64(text);
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.length !== 32) throw new CredentialsKeyError("CREDENTIALS_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32)");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export const isSealed = (value: unknown): value is string => typeof value === "string" && value.startsWith(SEALED_PREFIX);

const aad = (context: string) => new TextEncoder().encode(context);

export async function sealValue(key: CryptoKey, value: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(context) }, key, new TextEncoder().encode(value)));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return SEALED_PREFIX + toBase64(out);
}

export async function openValue(key: CryptoKey, value: string, context: string): Promise<string> {
  if (!isSealed(value)) return value;
  try {
    const bytes = fromBase64(value.slice(SEALED_PREFIX.length));
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.subarray(0, IV_BYTES), additionalData: aad(context) },
      key,
      bytes.subarray(IV_BYTES),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new CredentialsKeyError(`${context} does not open with this CREDENTIALS_KEY (changed since it was stored?): enter the credentials again`);
  }
}

type Definition = Record<string, unknown>;
const credentialsOf = (definition: Definition): Record<string, unknown> | null =>
  definition.credentials !== null && typeof definition.credentials === "object" ? (definition.credentials as Record<string, unknown>) : null;
const contextOf = (destinationId: string, field: string) => `destination ${destinationId} credentials.${field}`;

/**
 * The definition as stored: every plain credential value sealed. Needs the key only when
 * there is something to seal (already sealed values stay as they are).
 */
export async function sealCredentials(definition: Definition, keyBase64: string | undefined, destinationId: string): Promise<Definition> {
  const credentials = credentialsOf(definition);
  if (credentials === null) return definition;
  const needsSeal = (v: unknown): v is string => typeof v === "string" && !isSealed(v);
  if (!Object.values(credentials).some(needsSeal)) return definition;
  const key = await importCredentialsKey(keyBase64);
  const sealed = await Promise.all(
    Object.entries(credentials).map(async ([k, v]) => [k, needsSeal(v) ? await sealValue(key, v, contextOf(destinationId, k)) : v] as const),
  );
  return { ...definition, credentials: Object.fromEntries(sealed) };
}

/** The definition with its credentials opened, for building requests (never for showing). */
export async function openCredentials(definition: Definition, keyBase64: string | undefined, destinationId: string): Promise<Definition> {
  const credentials = credentialsOf(definition);
  if (credentials === null || !Object.values(credentials).some(isSealed)) return definition;
  const key = await importCredentialsKey(keyBase64);
  const opened = await Promise.all(
    Object.entries(credentials).map(async ([k, v]) => [k, isSealed(v) ? await openValue(key, v, contextOf(destinationId, k)) : v] as const),
  );
  return { ...definition, credentials: Object.fromEntries(opened) };
}

/** What the API shows in place of each stored credential. */
export const REDACTED = "(set)";

/** Credentials replaced by a marker: what the API shows of a destination. */
export function redact(definition: Record<string, unknown>): Record<string, unknown> {
  const credentials = credentialsOf(definition);
  return credentials === null ? definition : { ...definition, credentials: Object.fromEntries(Object.keys(credentials).map((k) => [k, REDACTED])) };
}

/**
 * A destination edit as it will be stored: without `credentials` it keeps the stored ones,
 * and a credential sent back as the marker the API showed keeps its stored value, so a
 * definition read from the API and saved again never overwrites a secret with the marker.
 */
export function keepStoredCredentials(incoming: Record<string, unknown>, stored: Record<string, unknown>): Record<string, unknown> {
  const before = credentialsOf(stored) ?? {};
  if (!("credentials" in incoming)) return "credentials" in stored ? { ...incoming, credentials: before } : incoming;
  const credentials = credentialsOf(incoming);
  if (credentials === null) return incoming;
  return { ...incoming, credentials: Object.fromEntries(Object.entries(credentials).map(([k, v]) => [k, v === REDACTED && k in before ? before[k] : v])) };
}
