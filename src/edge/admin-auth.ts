import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app";
import { AppError } from "./errors";

/** Constant-time string comparison, so the token cannot be guessed byte by byte from timings. */
export function safeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The admin API takes `Authorization: Bearer <ADMIN_TOKEN>`. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) throw new AppError(503, "unavailable", "The admin API is disabled: set the ADMIN_TOKEN secret");
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) {
    throw new AppError(401, "unauthorized", "Missing admin token: send Authorization: Bearer <ADMIN_TOKEN>", undefined, {
      "WWW-Authenticate": 'Bearer realm="tailor-admin"',
    });
  }
  if (!safeEqual(match[1]!.trim(), token)) throw new AppError(401, "unauthorized", "Invalid admin token");
  await next();
});
