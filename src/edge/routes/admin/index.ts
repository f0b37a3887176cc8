import { requireAdmin } from "../../admin-auth";
import { createApp } from "../../app";
import { adminProjects } from "./projects";

/** The admin JSON API: one sub-app per resource, all behind the admin token. */
export const adminApi = createApp();

adminApi.use("*", requireAdmin);
adminApi.route("/projects", adminProjects);
