import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app";
import { db } from "./db";
import { AppError } from "./errors";
import { projectForIngestKey, projectForSecretKey } from "./keys";

/**
 * Amplitude's server-side APIs: `Authorization: Basic base64(api_key:secret_key)`, both
 * keys of the same project. Sets the project for the handler.
 */
export const requireSecretKey = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Basic\s+(.+)$/i.exec(header);
  const unauthorized = (message: string) => new AppError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Basic realm="tailor"' });
  if (!match) throw unauthorized("Missing credentials: send Authorization: Basic base64(api_key:secret_key)");
  let decoded: string;
  try {
    decoded = atob(match[1]!.trim());
  } catch {
    throw unauthorized("Malformed Basic credentials");
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw unauthorized("Basic credentials must be api_key:secret_key");
  const [apiKey, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const [ingestProject, secretProject] = await Promise.all([projectForIngestKey(db(c.env), apiKey), projectForSecretKey(db(c.env), secret)]);
  if (secretProject === null || ingestProject !== secretProject) throw unauthorized("Invalid api_key or secret_key");
  c.set("projectId", secretProject);
  await next();
});
