import { describe, expect, it } from "vitest";
import { destinationSchema } from "../../../../src/core/syncs/schema";
import { testRequest, testVerdict } from "../../../../src/core/syncs/destinations/test-request";
import { createHmac } from "node:crypto";

const at = Date.UTC(2026, 11, 7);

describe("testRequest", () => {
  it("a webhook gets a signed test message with no users", async () => {
    const d = destinationSchema.parse({
      type: "webhook",
      url: "https://example.com/hook",
      credentials: { signing_secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=" },
    });
    const r = (await testRequest(d, "msg_test_1", at))!;
    expect(JSON.parse(r.body!)).toEqual({ type: "tailor.test", message_id: "msg_test_1", computed_time: "2026-12-07T00:00:00.000Z", users: [] });
    // Standard Webhooks: base64 HMAC-SHA256 of "id.timestamp.body" under the secret's bytes.
    const expected = createHmac("sha256", Buffer.from("dGVzdHNlY3JldHRlc3RzZWNyZXQ=", "base64"))
      .update(`msg_test_1.${at / 1000}.${r.body}`)
      .digest("base64");
    expect(r.headers).toMatchObject({ "webhook-id": "msg_test_1", "webhook-timestamp": String(at / 1000), "webhook-signature": `v1,${expected}` });
  });

  it("list destinations read their list; Braze updates only existing users (none has the test id)", async () => {
    const hubspot = await testRequest(destinationSchema.parse({ type: "hubspot", list_id: "42", credentials: { access_token: "t" } }), "m", at);
    expect(hubspot).toMatchObject({ method: "GET", url: "https://api.hubapi.com/crm/v3/lists/42", headers: { authorization: "Bearer t" } });
    const klaviyo = await testRequest(destinationSchema.parse({ type: "klaviyo", list_id: "Xy", credentials: { api_key: "k" } }), "m", at);
    expect(klaviyo).toMatchObject({ method: "GET", url: "https://a.klaviyo.com/api/lists/Xy", headers: { authorization: "Klaviyo-API-Key k" } });
    const facebook = await testRequest(destinationSchema.parse({ type: "facebook", audience_id: "77", credentials: { access_token: "fb" } }), "m", at);
    expect(facebook).toMatchObject({ method: "GET", url: "https://graph.facebook.com/v21.0/77?fields=id,name&access_token=fb" });
    const braze = (await testRequest(
      destinationSchema.parse({ type: "braze", base_url: "https://rest.iad-01.braze.com", credentials: { api_key: "b" } }),
      "m",
      at,
    ))!;
    expect(braze.url).toBe("https://rest.iad-01.braze.com/users/track");
    expect(JSON.parse(braze.body!).attributes[0]).toMatchObject({ _update_existing_only: true });
    expect(await testRequest(destinationSchema.parse({ type: "r2_export" }), "m", at)).toBeNull();
  });
});

describe("testVerdict", () => {
  const request = { method: "GET" as const, url: "https://graph.facebook.com/v21.0/77?access_token=secret", headers: {} };
  it("never repeats the URL's query (a credential may be in it)", () => {
    const v = testVerdict(request, { status: 200, body: "{}" }, 12.4);
    expect(v).toEqual({ ok: true, status: 200, detail: "GET https://graph.facebook.com/v21.0/77 answered HTTP 200 in 12 ms" });
    expect(testVerdict(request, { error: "TypeError: fetch failed" }, 3).detail).not.toContain("secret");
  });
  it("a refusal says what the destination said", () => {
    expect(testVerdict(request, { status: 401, body: '{"error":\n "bad token"}' }, 5)).toEqual({
      ok: false,
      status: 401,
      detail: 'GET https://graph.facebook.com/v21.0/77 answered HTTP 401 in 5 ms: {"error": "bad token"}',
    });
  });
});
