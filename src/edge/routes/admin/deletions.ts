import { z } from "zod";
import { createApp } from "../../app";
import { db } from "../../db";
import { createDeletion, getDeletion, listDeletions, MAX_DELETION_IDS, presentDeletion, refOfKey } from "../../deletion-store";
import { requestProject } from "../../project-scope";
import { json, operation } from "../../api-contract";
import { deletionView } from "./responses";

/**
 * Privacy deletions (mounted at /admin/api/projects/:project/deletions): erase users
 * or devices with all their data — profile, devices, memberships (as exits), registry
 * row and archived events — in a resumable job whose status is listed here.
 */
export const adminDeletions = createApp();

const id = z.string().min(1).max(1024);
const createSchema = z
  .object({
    user_ids: z.array(id).max(MAX_DELETION_IDS).default([]),
    device_ids: z.array(id).max(MAX_DELETION_IDS).default([]),
    /** Profile keys (`u:<user_id>`, `d:<device_id>`), as the Amplitude-shaped APIs name profiles. */
    amplitude_ids: z
      .array(z.union([id, z.number()]).transform(String))
      .max(MAX_DELETION_IDS)
      .default([]),
    requester: z.string().max(320).optional(),
    ignore_invalid_ids: z.boolean().default(false),
    ignore_invalid_id: z.boolean().optional(),
  })
  .refine((b) => b.user_ids.length + b.device_ids.length + b.amplitude_ids.length > 0, {
    message: "give at least one of user_ids, device_ids, amplitude_ids",
    path: ["user_ids"],
  })
  .refine((b) => b.user_ids.length + b.device_ids.length + b.amplitude_ids.length <= MAX_DELETION_IDS, {
    message: `at most ${MAX_DELETION_IDS} ids per request`,
    path: ["user_ids"],
  });

adminDeletions.post(
  "/",
  operation({
    summary: "Erase users or devices",
    description: "Profile, devices, memberships (as exits), registry row and archived events, in a resumable job.",
    body: createSchema,
    responses: { 202: json("The deletion job", deletionView) },
  }),
  async (c) => {
    const project = requestProject(c);
    const body = c.req.valid("json");
    const ids = [
      ...body.user_ids.map((u) => ({ label: u, ref: { kind: "user", id: u } as const })),
      ...body.device_ids.map((d) => ({ label: d, ref: { kind: "device", id: d } as const })),
      ...body.amplitude_ids.map((k) => ({ label: k, ref: refOfKey(k) })),
    ];
    const row = await createDeletion(c.env, db(c.env), project, {
      ids,
      requester: body.requester ?? null,
      ignoreInvalid: body.ignore_invalid_ids || body.ignore_invalid_id === true,
    });
    return c.json(presentDeletion(row), 202);
  },
);

adminDeletions.get(
  "/",
  operation({ summary: "List deletions", responses: { 200: json("Newest first", z.object({ deletions: z.array(deletionView) })) } }),
  async (c) => {
    const project = requestProject(c);
    return c.json({ deletions: (await listDeletions(db(c.env), project)).map(presentDeletion) });
  },
);

adminDeletions.get("/:id", operation({ summary: "Read a deletion", responses: { 200: json("The deletion job", deletionView) } }), async (c) => {
  const project = requestProject(c);
  return c.json(presentDeletion(await getDeletion(db(c.env), project, c.req.param("id"))));
});
