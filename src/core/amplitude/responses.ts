/**
 * Amplitude's response bodies, exactly. SDKs decide what happened from the body's
 * `code` (not the status line), so every body carries `code` equal to the HTTP status.
 */
export type FieldIndices = Record<string, number[]>;

export interface AmplitudeErrorBody {
  code: number;
  error: string;
  missing_field?: string;
  events_with_invalid_fields?: FieldIndices;
  events_with_missing_fields?: FieldIndices;
  events_with_invalid_id_lengths?: FieldIndices;
  [extra: string]: unknown;
}

export const ERRORS = {
  missingBody: "Missing request body",
  invalidJson: "Invalid JSON request body",
  missingField: "Request missing required field",
  invalidEvent: "Invalid event JSON",
  invalidApiKey: "Invalid API key",
  invalidFields: "Invalid field values on some events",
  invalidIdLength: "Invalid id length for user_id or device_id",
  contentType: "Invalid content type: expected application/json",
  tooLarge: "Payload too large",
  throttled: "Too many requests for some devices and users",
  unavailable: "Service temporarily unavailable",
} as const;

export function successBody(eventsIngested: number, payloadSizeBytes: number, serverUploadTime: number) {
  return {
    code: 200,
    events_ingested: eventsIngested,
    payload_size_bytes: payloadSizeBytes,
    server_upload_time: serverUploadTime,
  } as const;
}

export function errorBody(code: number, error: string, extra: Omit<AmplitudeErrorBody, "code" | "error"> = {}): AmplitudeErrorBody {
  return { code, error, ...extra };
}

export interface ThrottleReport {
  epsThreshold: number;
  users: Record<string, number>;
  devices: Record<string, number>;
  eventIndices: number[];
}

export function throttledBody(report: ThrottleReport): AmplitudeErrorBody {
  return errorBody(429, ERRORS.throttled, {
    eps_threshold: report.epsThreshold,
    throttled_devices: report.devices,
    throttled_users: report.users,
    throttled_events: report.eventIndices,
    exceeded_daily_quota_devices: {},
    exceeded_daily_quota_users: {},
  });
}
