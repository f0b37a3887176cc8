import { fromBase64, toBase64 } from "../base64";

/**
 * Signs webhook deliveries per the Standard Webhooks spec: the signed content is
 * `${id}.${timestamp}.${body}`, HMAC-SHA256 with the secret (base64, `whsec_` prefix),
 * sent as `webhook-signature: v1,<base64>` with `webhook-id` and `webhook-timestamp`.
 */
export function newWebhookSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  const keyBytes = fromBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestampSeconds}.${body}`));
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${toBase64(new Uint8Array(mac))}`,
  };
}
