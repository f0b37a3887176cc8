import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app";
import { fieldId } from "./fields";
import { Document } from "./layout";
import {
  checkCsrf,
  clearedSessionCookie,
  cookieValue,
  csrfToken,
  isHttps,
  issueSession,
  readSession,
  sameString,
  SESSION_COOKIE,
  sessionCookie,
  type Session,
} from "./session";

export interface UiEnv {
  Bindings: Env;
  Variables: AppEnv["Variables"] & { session: Session; csrf: string };
}

/** Only same-site admin paths are followed after signing in. */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/admin(\/[^/\\]|$|\?)/.test(next) && !next.startsWith("/admin/api") ? next : "/admin";
}

function SignIn(props: { next: string; error?: string }) {
  return (
    <Document title="Sign in">
      <main class="signin">
        <h1>Tailor admin</h1>
        <form method="post" action="/admin/sign-in" class="panel">
          <input type="hidden" name="next" value={props.next} />
          <div class="field">
            <label for={fieldId("token")}>Admin token</label>
            <input
              id={fieldId("token")}
              name="token"
              type="password"
              class="wide"
              autocomplete="current-password"
              required
              aria-invalid={props.error === undefined ? undefined : "true"}
              aria-describedby={props.error === undefined ? "token-hint" : `${fieldId("token")}-error`}
            />
            <div class="hint" id="token-hint">
              ADMIN_TOKEN: in <code>.dev.vars</code> and <code>.tailor/local.json</code> locally, a Worker secret when deployed.
            </div>
            {props.error === undefined ? null : (
              <div class="error" id={`${fieldId("token")}-error`}>
                {props.error}
              </div>
            )}
          </div>
          <button type="submit">Sign in</button>
        </form>
      </main>
    </Document>
  );
}

/** Sign in and out: the admin token buys a signed session cookie. */
export const authRoutes = new Hono<UiEnv>();

authRoutes.get("/sign-in", (c) => c.html(<SignIn next={safeNext(c.req.query("next"))} />));

authRoutes.post("/sign-in", async (c) => {
  const form = await c.req.parseBody();
  const next = safeNext(typeof form.next === "string" ? form.next : undefined);
  const token = typeof form.token === "string" ? form.token.trim() : "";
  const admin = c.env.ADMIN_TOKEN;
  if (!admin) return c.html(<SignIn next={next} error="The admin UI is disabled: set the ADMIN_TOKEN secret." />, 503);
  if (token === "" || !sameString(token, admin)) return c.html(<SignIn next={next} error="That is not the admin token." />, 401);
  c.header("set-cookie", sessionCookie(await issueSession(admin, Date.now()), isHttps(c.req.url)));
  return c.redirect(next, 303);
});

authRoutes.post("/sign-out", async (c) => {
  const form = await c.req.parseBody();
  const session = await readSession(c.env.ADMIN_TOKEN ?? "", cookieValue(c.req.header("cookie"), SESSION_COOKIE), Date.now());
  // Signing out is a write too: a foreign page must not be able to sign someone out.
  if (session !== null && !(await checkCsrf(c.env.ADMIN_TOKEN, session, typeof form._csrf === "string" ? form._csrf : undefined))) {
    return c.text("Invalid CSRF token", 403);
  }
  c.header("set-cookie", clearedSessionCookie(isHttps(c.req.url)));
  return c.redirect("/admin/sign-in", 303);
});

/**
 * Every other UI page needs a session (else 302 to sign-in); every form POST needs the
 * session's CSRF token in `_csrf`.
 */
export const requireSession = createMiddleware<UiEnv>(async (c, next) => {
  const admin = c.env.ADMIN_TOKEN;
  const session = admin ? await readSession(admin, cookieValue(c.req.header("cookie"), SESSION_COOKIE), Date.now()) : null;
  if (session === null) {
    const url = new URL(c.req.url);
    return c.redirect(`/admin/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
  }
  c.set("session", session);
  c.set("csrf", await csrfToken(admin, session));
  if (c.req.method === "POST") {
    const form = await c.req.parseBody({ all: true });
    const token = typeof form._csrf === "string" ? form._csrf : undefined;
    if (!(await checkCsrf(admin, session, token))) return c.text("Invalid CSRF token: reload the page and try again", 403);
  }
  await next();
});
