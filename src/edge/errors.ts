import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AmplitudeErrorBody } from "../core/amplitude/responses";

export type ErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable"
  | "internal";

/** Tailor's one error type: every 4xx/5xx the Worker answers is one of these. */
export class AppError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
  }

  /** The JSON body: `{error: {code, message, details?}}`. */
  toBody(): unknown {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/**
 * An error on a route that mimics another vendor's wire format: its body is that
 * vendor's own shape, sent as given (Segment's, PostHog's, Amplitude's).
 */
export class WireError extends AppError {
  constructor(
    status: ContentfulStatusCode,
    readonly body: unknown,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, codeFor(status), message, undefined, headers);
  }

  override toBody(): unknown {
    return this.body;
  }
}

/** An error on an Amplitude-compatible route: its body is Amplitude's own shape. */
export class AmplitudeError extends WireError {
  declare readonly body: AmplitudeErrorBody;

  constructor(body: AmplitudeErrorBody, headers: Record<string, string> = {}) {
    super(body.code as ContentfulStatusCode, body, body.error, headers);
  }
}

export function codeFor(status: number): ErrorCode {
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "invalid_request";
  }
}
