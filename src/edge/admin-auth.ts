import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app";
import { AppError } from "./errors";
import { checkCsrf, cookieValue, readSession, sameString, SESSION_COOKIE } from "./ui/session";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The admin API takes `Authorization: Bearer <ADMIN_TOKEN>`, or the admin UI's session
 * cookie; with the cookie, writes must also carry the session's CSRF token in
 * `x-csrf-token` (a browser sends the cookie to any site's request, never the header).
 */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) throw new AppError(503, "unavailable", "The admin API is disabled: set the ADMIN_TOKEN secret");
  const header = c.req.header("authorization");
  if (header === undefined) {
    const session = await readSession(token, cookieValue(c.req.header("cookie"), SESSION_COOKIE), Date.now());
    if (session !== null) {
      if (!SAFE_METHODS.has(c.req.method) && !(await checkCsrf(token, session, c.req.header("x-csrf-token")))) {
        throw new AppError(403, "forbidden", "Missing or invalid CSRF token: writes with the session cookie need the x-csrf-token header");
      }
      return next();
    }
  }
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) {
    throw new AppError(401, "unauthorized", "Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>", undefined, {
      "WWW-Authenticate": 'Bearer realm="tailor-admin"',
    });
  }
  // Constant-time, so the token cannot be guessed byte by byte from timings.
  if (!sameString(match[1]!.trim(), token)) throw new AppError(401, "unauthorized", "Invalid admin token");
  await next();
});
