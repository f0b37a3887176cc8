import type { Destination } from "../schema";
import { signWebhook } from "../standard-webhooks";

/** The one request "Send a test" makes: harmless (it changes no user), with the stored credentials. */
export interface TestRequest {
  method: "GET" | "POST";
  url: string;
  body?: string;
  headers: Record<string, string>;
}

const base = (d: { base_url: string }) => d.base_url.replace(/\/$/, "");

/**
 * - webhook: a signed `tailor.test` message with no users (receivers verify the signature
 *   the same way as for real messages, and can tell a test by its type);
 * - Braze: `/users/track` for an id no one has, in update-only mode, so no user is created;
 * - HubSpot, Klaviyo, Facebook: a read of the configured list or audience.
 * Null for a destination written by Tailor itself (R2 files).
 */
export async function testRequest(destination: Destination, messageId: string, now: number): Promise<TestRequest | null> {
  switch (destination.type) {
    case "webhook": {
      const body = JSON.stringify({ type: "tailor.test", message_id: messageId, computed_time: new Date(now).toISOString(), users: [] });
      const secret = destination.credentials?.signing_secret;
      return {
        method: "POST",
        url: destination.url,
        body,
        headers: {
          "content-type": "application/json",
          ...(secret === undefined ? { "webhook-id": messageId } : await signWebhook(secret, messageId, Math.floor(now / 1000), body)),
        },
      };
    }
    case "braze":
      return {
        method: "POST",
        url: `${base(destination)}/users/track`,
        body: JSON.stringify({ attributes: [{ external_id: `tailor-test-${messageId}`, _update_existing_only: true, tailor_test: true }] }),
        headers: { "content-type": "application/json", authorization: `Bearer ${destination.credentials.api_key}` },
      };
    case "hubspot":
      return {
        method: "GET",
        url: `${base(destination)}/crm/v3/lists/${encodeURIComponent(destination.list_id)}`,
        headers: { authorization: `Bearer ${destination.credentials.access_token}` },
      };
    case "klaviyo":
      return {
        method: "GET",
        url: `${base(destination)}/api/lists/${encodeURIComponent(destination.list_id)}`,
        headers: { accept: "application/vnd.api+json", revision: destination.revision, authorization: `Klaviyo-API-Key ${destination.credentials.api_key}` },
      };
    case "facebook":
      return {
        method: "GET",
        url: `${base(destination)}/${destination.api_version}/${encodeURIComponent(destination.audience_id)}?fields=id,name&access_token=${encodeURIComponent(destination.credentials.access_token)}`,
        headers: {},
      };
    case "r2_export":
      return null;
  }
}

/** What a test's answer says, in one line that never repeats a credential (the URL's query is left out). */
export function testVerdict(
  request: TestRequest,
  outcome: { status: number; body: string } | { error: string },
  ms: number,
): { ok: boolean; status: number | null; detail: string } {
  const where = (() => {
    const url = new URL(request.url);
    return `${url.origin}${url.pathname}`;
  })();
  if ("error" in outcome) return { ok: false, status: null, detail: `${request.method} ${where} did not answer: ${outcome.error}` };
  const ok = outcome.status >= 200 && outcome.status < 300;
  const said = ok ? "" : `: ${outcome.body.replace(/\s+/g, " ").slice(0, 200)}`;
  return { ok, status: outcome.status, detail: `${request.method} ${where} answered HTTP ${outcome.status} in ${Math.round(ms)} ms${said}` };
}
