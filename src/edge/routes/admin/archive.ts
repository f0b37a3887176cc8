import { z } from "zod";
import { archivePrefix } from "../../../core/archive";
import { createApp } from "../../app";
import { AppError } from "../../errors";
import { requestProject } from "../../project-scope";
import { json, operation } from "../../api-contract";

/**
 * Read access to the event archive, for the trainer: it reads through the Worker the
 * same way against local state (`npm start`) and a deployed Worker.
 */
export const adminArchive = createApp();

const listSchema = z.object({ cursor: z.string().optional(), prefix: z.string().optional() });

const listing = z.object({ objects: z.array(z.object({ key: z.string(), size: z.number().int() })), cursor: z.string().nullable() });

adminArchive.get(
  "/",
  operation({
    summary: "List archive objects (the trainer's reads)",
    query: listSchema,
    responses: { 200: json("Up to 1,000 objects and the next page's cursor", listing) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const root = archivePrefix(requestProject(c));
    const prefix = q.prefix === undefined ? root : `${root}${q.prefix}`;
    const listed = await c.env.ARCHIVE.list({ prefix, cursor: q.cursor, limit: 1000 });
    return c.json({
      objects: listed.objects.map((o) => ({ key: o.key, size: o.size })),
      cursor: listed.truncated ? listed.cursor : null,
    });
  },
);

const objectSchema = z.object({ key: z.string().min(1) });

adminArchive.get(
  "/object",
  operation({
    summary: "Read an archive object",
    query: objectSchema,
    responses: { 200: { description: "Events, one JSON object a line", mediaType: "application/x-ndjson" } },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const root = archivePrefix(requestProject(c));
    if (!q.key.startsWith(root)) {
      throw new AppError(400, "invalid_request", "key is not in this project's archive", [{ field: "key", message: `must start with ${root}` }]);
    }
    const object = await c.env.ARCHIVE.get(q.key);
    if (object === null) throw new AppError(404, "not_found", `No archive object ${q.key}`);
    return new Response(object.body, { headers: { "content-type": "application/x-ndjson" } });
  },
);
