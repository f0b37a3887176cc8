import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "../core/amplitude/responses";
import { AmplitudeError, AppError } from "./errors";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /**
     * Set by Amplitude-compatible routes so errors keep Amplitude's shapes: ingestion's
     * `{code, error}`, or the dashboard APIs' (cohorts) `{error: {http_code, message, …}}`.
     */
    errorStyle?: "amplitude" | "dashboard";
    /** The project a secret-key request authenticated as. */
    projectId?: string;
  };
}

/** A Hono app with Tailor's one error handler; every sub-app and the root use it. */
export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(renderError);
  app.notFound((c) => renderError(new AppError(404, "not_found", `No route for ${c.req.method} ${c.req.path}`), c));
  return app;
}

/** Middleware for Amplitude-compatible routes: their errors keep Amplitude's shapes. */
export function errorStyle(style: NonNullable<AppEnv["Variables"]["errorStyle"]>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("errorStyle", style);
    await next();
  };
}

function renderError(err: Error, c: Context<AppEnv>): Response {
  let error: AppError;
  if (err instanceof AppError) error = err;
  else if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    error = new AppError(status, status >= 500 ? "internal" : "invalid_request", err.message);
  } else {
    console.error("unhandled error", c.req.method, c.req.path, err);
    error = new AppError(500, "internal", "Internal server error");
  }
  if (c.get("errorStyle") === "amplitude" && !(error instanceof AmplitudeError)) error = new AmplitudeError(errorBody(error.status, error.message));
  if (c.get("errorStyle") === "dashboard") {
    const body = {
      http_code: error.status,
      code: error.status,
      type: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { metadata: error.details }),
    };
    return c.json({ error: body }, error.status, error.headers);
  }
  return c.json(error.toBody(), error.status, error.headers);
}
