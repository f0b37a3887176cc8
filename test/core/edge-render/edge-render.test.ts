import { describe, expect, it } from "vitest";
import { escapeHtml, renderItems, valueText } from "../../../src/core/edge-render/fill";
import { parseCookies, visitorFromCookies } from "../../../src/core/edge-render/visitor-cookies";

const KEY = "0123456789abcdef0123456789abcdef";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
/** Amplitude Browser SDK 2: cookie AMP_<first 10 of key> = encodeURIComponent(base64(encodeURIComponent(JSON))). */
const amp = (state: object) => `AMP_${KEY.slice(0, 10)}=${encodeURIComponent(b64(encodeURIComponent(JSON.stringify(state))))}`;

describe("the visitor in the page SDK's cookies", () => {
  it("reads Amplitude's cookie: the user once identified, else the device", () => {
    expect(visitorFromCookies(amp({ deviceId: "dev-1", sessionId: 1, optOut: false }), KEY)).toEqual({ deviceId: "dev-1", userId: undefined });
    expect(visitorFromCookies(`other=1; ${amp({ deviceId: "dev-1", userId: "u 1" })}`, KEY)).toEqual({ deviceId: "dev-1", userId: "u 1" });
    // Another project's cookie (another key) is not this visitor's.
    expect(visitorFromCookies(amp({ deviceId: "dev-1" }).replace(KEY.slice(0, 10), "zzzzzzzzzz"), KEY)).toEqual({});
  });

  it("reads PostHog's, Segment's and RudderStack's (plain and RS_ENC_v3_), in that order after Amplitude's", () => {
    const ph = (s: object) => `ph_${KEY}_posthog=${encodeURIComponent(JSON.stringify(s))}`;
    expect(visitorFromCookies(ph({ distinct_id: "anon-1", $device_id: "anon-1" }), KEY)).toEqual({ deviceId: "anon-1" });
    expect(visitorFromCookies(ph({ distinct_id: "ada", $device_id: "anon-1", $user_state: "identified" }), KEY)).toEqual({ userId: "ada", deviceId: "anon-1" });
    expect(visitorFromCookies(`ajs_anonymous_id=${encodeURIComponent('"seg-anon"')}; ajs_user_id=${encodeURIComponent('"bob"')}`, KEY)).toEqual({
      userId: "bob",
      deviceId: "seg-anon",
    });
    expect(visitorFromCookies(`ajs_anonymous_id=seg-anon`, KEY)).toEqual({ userId: undefined, deviceId: "seg-anon" });
    expect(visitorFromCookies(`rl_anonymous_id=RS_ENC_v3_${b64('"rl-anon"')}; rl_user_id=RS_ENC_v3_${b64('"carol"')}`, KEY)).toEqual({
      userId: "carol",
      deviceId: "rl-anon",
    });
    expect(visitorFromCookies(`${amp({ deviceId: "amp-dev" })}; ajs_anonymous_id=seg-anon`, KEY)).toEqual({ deviceId: "amp-dev", userId: undefined });
  });

  it("garbage cookies find nobody and never throw", () => {
    for (const header of [
      undefined,
      "",
      "=x",
      `AMP_${KEY.slice(0, 10)}=%%%not-base64`,
      `ph_${KEY}_posthog={bad json`,
      "ajs_user_id=%22%22",
      "rl_user_id=RS_ENC_v3_@@@",
    ]) {
      const v = visitorFromCookies(header, KEY);
      expect([v.userId, v.deviceId], String(header)).toEqual([undefined, undefined]);
    }
    expect(parseCookies("a=1; b = 2 ;a=3")).toEqual(
      new Map([
        ["a", "1"],
        ["b", "2"],
      ]),
    );
  });
});

describe("filling marked elements", () => {
  it("repeats the item template per item, escaped, up to the limit; the default template lists ids", () => {
    expect(renderItems('<a href="/p/{{item}}">#{{rank}}</a>', ["22730", "x\"<y>&'"], 5)).toBe(
      '<a href="/p/22730">#1</a><a href="/p/x&#34;&#60;y&#62;&#38;&#39;">#2</a>',
    );
    expect(renderItems(null, ["a", "b", "c"], 2)).toBe('<li data-tailor-item="a">a</li><li data-tailor-item="b">b</li>');
    expect(renderItems("  ", ["a"])).toBe('<li data-tailor-item="a">a</li>');
    expect(escapeHtml("<script>")).toBe("&#60;script&#62;");
  });

  it("a computed value as text: strings as they are, numbers and objects as JSON, nothing for null", () => {
    expect(valueText("12.5")).toBe("12.5");
    expect(valueText(3)).toBe("3");
    expect(valueText({ a: 1 })).toBe('{"a":1}');
    expect(valueText(null)).toBeNull();
    expect(valueText(undefined)).toBeNull();
  });
});
