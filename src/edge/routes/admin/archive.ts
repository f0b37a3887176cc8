import { z } from "zod";
import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { listArchive, readArchiveObject } from "../../archive-store";
import { requestProject } from "../../project-scope";

/**
 * Read access to the event archive, for the trainer: it reads through the Worker the
 * same way against local state (`npm start`) and a deployed Worker.
 */
export const adminArchive = createApp();

const listSchema = z.object({ cursor: z.string().optional(), prefix: z.string().optional() });
const objectSchema = z.object({ key: z.string().min(1) });
const listing = z.object({ objects: z.array(z.object({ key: z.string(), size: z.number().int() })), cursor: z.string().nullable() });

adminArchive.get(
  "/",
  operation({
    summary: "List archive objects (the trainer's reads)",
    query: listSchema,
    responses: { 200: json("Up to 1,000 objects and the next page's cursor", listing) },
  }),
  async (c) => c.json(await listArchive(c.env, requestProject(c), c.req.valid("query"))),
);

adminArchive.get(
  "/object",
  operation({
    summary: "Read an archive object",
    query: objectSchema,
    responses: { 200: { description: "Events, one JSON object a line", mediaType: "application/x-ndjson" } },
  }),
  async (c) => {
    const object = await readArchiveObject(c.env, requestProject(c), c.req.valid("query").key);
    return new Response(object.body, { headers: { "content-type": "application/x-ndjson" } });
  },
);
