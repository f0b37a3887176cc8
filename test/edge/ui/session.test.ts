import { describe, expect, it } from "vitest";
import {
  checkCsrf,
  clearedSessionCookie,
  cookieValue,
  csrfToken,
  issueSession,
  onceCookie,
  openOnce,
  readSession,
  sealOnce,
  sessionCookie,
} from "../../../src/edge/ui/session";
import { safeNext } from "../../../src/edge/ui/auth";

const TOKEN = "admin-token-for-tests";
const NOW = 1_800_000_000_000;

describe("admin sessions", () => {
  it("a session issued under the token reads back until it expires", async () => {
    const value = await issueSession(TOKEN, NOW, 60_000);
    expect(value).not.toContain(TOKEN);
    const session = await readSession(TOKEN, value, NOW + 59_999);
    expect(session).toMatchObject({ expires: NOW + 60_000 });
    expect(await readSession(TOKEN, value, NOW + 60_000)).toBeNull();
  });

  it("forged, altered or foreign sessions are refused", async () => {
    const value = await issueSession(TOKEN, NOW, 60_000);
    const [sid, exp, mac] = value.split(".") as [string, string, string];
    expect(await readSession("another-token", value, NOW)).toBeNull();
    expect(await readSession(TOKEN, `${sid}.${Number(exp) + 1_000_000}.${mac}`, NOW)).toBeNull();
    expect(await readSession(TOKEN, `${sid}x.${exp}.${mac}`, NOW)).toBeNull();
    // Another first character (all six of its bits count; the last one's lowest two do not).
    expect(await readSession(TOKEN, `${sid}.${exp}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`, NOW)).toBeNull();
    for (const junk of [undefined, "", "a.b.c", TOKEN]) expect(await readSession(TOKEN, junk, NOW)).toBeNull();
  });

  it("the CSRF token is bound to its session and to the admin token", async () => {
    const a = (await readSession(TOKEN, await issueSession(TOKEN, NOW), NOW))!;
    const b = (await readSession(TOKEN, await issueSession(TOKEN, NOW), NOW))!;
    const token = await csrfToken(TOKEN, a);
    expect(await checkCsrf(TOKEN, a, token)).toBe(true);
    expect(await checkCsrf(TOKEN, b, token)).toBe(false);
    expect(await checkCsrf("another-token", a, token)).toBe(false);
    expect(await checkCsrf(TOKEN, a, undefined)).toBe(false);
    expect(await checkCsrf(TOKEN, a, "")).toBe(false);
  });

  it("cookies: HttpOnly, SameSite=Strict, Secure only over https; cleared with Max-Age=0", () => {
    expect(sessionCookie("v", false)).toBe("tailor_admin=v; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=43200");
    expect(sessionCookie("v", true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(true)).toBe("tailor_admin=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0; Secure");
    expect(cookieValue("a=1; tailor_admin=x.y.z; b=2", "tailor_admin")).toBe("x.y.z");
    expect(cookieValue("tailor_admin_other=1", "tailor_admin")).toBeUndefined();
    expect(cookieValue(undefined, "tailor_admin")).toBeUndefined();
  });

  it("after sign-in only admin pages are followed", () => {
    expect(safeNext("/admin/p/shop/cohorts?x=1")).toBe("/admin/p/shop/cohorts?x=1");
    expect(safeNext("/admin")).toBe("/admin");
    for (const bad of ["https://evil.example", "//evil.example", "/admin//evil.example", "/admin/\\evil", "/other", "/admin/api/projects", undefined])
      expect(safeNext(bad)).toBe("/admin");
  });

  it("what a redirect shows once reads back in the same session only, and cannot be planted", async () => {
    const mine = (await readSession(TOKEN, await issueSession(TOKEN, NOW), NOW))!;
    const other = (await readSession(TOKEN, await issueSession(TOKEN, NOW), NOW))!;
    const sealed = await sealOnce(TOKEN, mine, { signing_secret: "whsec_abc", note: "é ✓" });
    expect(await openOnce(TOKEN, mine, sealed)).toEqual({ signing_secret: "whsec_abc", note: "é ✓" });
    expect(await openOnce(TOKEN, other, sealed)).toBeNull();
    expect(await openOnce("another-token", mine, sealed)).toBeNull();
    const [body, mac] = sealed.split(".") as [string, string];
    expect(await openOnce(TOKEN, mine, `${body}x.${mac}`)).toBeNull();
    expect(await openOnce(TOKEN, mine, undefined)).toBeNull();
    expect(onceCookie(sealed, true)).toBe(`tailor_once=${sealed}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=300; Secure`);
    expect(onceCookie("", false, 0)).toBe("tailor_once=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0");
  });
});
