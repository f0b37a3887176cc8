import { z } from "zod";
import type { deletionJobs } from "../../db/schema";
import { createApp, errorStyle } from "../app";
import { db } from "../db";
import { createDeletion, listDeletions, MAX_DELETION_IDS, refOfKey } from "../deletion-store";
import { AppError } from "../errors";
import { requireSecretKey } from "../secret-auth";
import { parseWith } from "../validate";

/**
 * Amplitude's User Privacy API (v1) over the same deletion jobs as the admin API:
 * `POST /api/2/deletions/users` and `GET /api/2/deletions/users?start_day&end_day`,
 * `Authorization: Basic base64(api_key:secret_key)`. Tailor has no numeric Amplitude
 * ids: `amplitude_ids` are profile keys (`u:<user_id>`, `d:<device_id>`), and user ids
 * are answered as the keys they map to. Statuses: staging → submitted → done.
 */
export const privacyApi = createApp();

const PATH = "/api/2/deletions/users";
privacyApi.use(PATH, errorStyle("dashboard"));
privacyApi.use(PATH, requireSecretKey);

const id = z.union([z.string().min(1).max(1024), z.number()]).transform(String);
const bool = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);
const createSchema = z.object({
  amplitude_ids: z.array(id).max(MAX_DELETION_IDS).default([]),
  user_ids: z.array(id).max(MAX_DELETION_IDS).default([]),
  requester: z.string().max(320).optional(),
  ignore_invalid_ids: bool.default(false),
  ignore_invalid_id: bool.optional(),
  delete_from_org: bool.optional(),
  include_mapped_user_ids: bool.optional(),
});

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const STATUS = { staging: "staging", submitted: "submitted", done: "done" } as const;

function amplitudeJob(row: typeof deletionJobs.$inferSelect) {
  const requestedOn = day(row.createdAt);
  return {
    day: requestedOn,
    status: STATUS[row.status],
    amplitude_ids: row.targets.map((t) => ({ amplitude_id: t.key, requester: row.requester ?? "", requested_on_day: requestedOn })),
    job_id: row.id,
  };
}

/** JSON, or form fields where `amplitude_ids` and `user_ids` may repeat (as Amplitude accepts). */
async function readBody(req: Request): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
    const form = await req.formData();
    const out: Record<string, unknown> = {};
    for (const key of new Set(form.keys())) {
      const values = form.getAll(key).map(String);
      out[key] = key === "amplitude_ids" || key === "user_ids" ? values : values[0];
    }
    return out;
  }
  try {
    return await req.json();
  } catch {
    throw new AppError(400, "invalid_request", "Request body must be JSON or form fields");
  }
}

privacyApi.post(PATH, async (c) => {
  const body = parseWith(createSchema, await readBody(c.req.raw), "body");
  const ids = [
    ...body.amplitude_ids.map((k) => ({ label: k, ref: refOfKey(k) })),
    ...body.user_ids.map((u) => ({ label: u, ref: { kind: "user", id: u } as const })),
  ];
  if (ids.length === 0) throw new AppError(400, "invalid_request", "amplitude_ids or user_ids must be given");
  if (ids.length > MAX_DELETION_IDS) throw new AppError(400, "invalid_request", `At most ${MAX_DELETION_IDS} ids per request`);
  const row = await createDeletion(c.env, db(c.env), c.get("projectId")!, {
    ids,
    requester: body.requester ?? null,
    ignoreInvalid: body.ignore_invalid_ids || body.ignore_invalid_id === true,
  });
  return c.json(amplitudeJob(row));
});

const listSchema = z.object({
  start_day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
    .optional(),
  end_day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD")
    .optional(),
});

privacyApi.get(PATH, async (c) => {
  const q = parseWith(listSchema, c.req.query(), "query");
  const from = q.start_day === undefined ? undefined : Date.parse(`${q.start_day}T00:00:00Z`);
  const to = q.end_day === undefined ? undefined : Date.parse(`${q.end_day}T23:59:59.999Z`);
  const rows = await listDeletions(db(c.env), c.get("projectId")!, { from, to });
  return c.json(rows.map(amplitudeJob));
});
