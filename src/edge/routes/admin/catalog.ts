import { json, operation } from "../../api-contract";
import { createApp } from "../../app";
import { readCatalog } from "../../catalog-store";
import { db } from "../../db";
import { requestProject } from "../../project-scope";
import { catalogView } from "./responses";

/** The names the project's events have used, for pickers (edge/catalog-store.ts). */
export const adminCatalog = createApp();

adminCatalog.get(
  "/",
  operation({
    summary: "The project's event types, properties and common values",
    description: "Kept as events arrive (never by scanning), most seen first; values are JSON-encoded scalars.",
    responses: { 200: json("The vocabulary", catalogView) },
  }),
  async (c) => c.json(await readCatalog(db(c.env), requestProject(c))),
);
