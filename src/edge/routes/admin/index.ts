import { requireAdmin } from "../../admin-auth";
import { createApp } from "../../app";
import { requireProject } from "../../project-scope";
import { adminArchive } from "./archive";
import { adminBackfills } from "./backfills";
import { adminCatalog } from "./catalog";
import { adminDeletions } from "./deletions";
import { adminExports } from "./exports";
import { adminModels } from "./models";
import { definitionRoutes } from "./definitions";
import { cohortInsights } from "./cohort-insights";
import { computationDistribution, predictionScores } from "./distributions";
import { adminProjects, projectRoutes } from "./projects";
import { adminReconciliations } from "./reconciliations";
import { adminTrainingJobs, trainerQueue, trainRoute } from "./training";
import { openApiDocument } from "../../openapi";

/**
 * Everything a project owns, mounted at /admin/api/projects/:project: one middleware
 * resolves the project (404 for an unknown one), so no handler reads it from anywhere else.
 */
const projectApi = createApp();
projectApi.use("*", requireProject);
projectApi.route("/", projectRoutes);
projectApi.route("/deletions", adminDeletions);
projectApi.route("/exports", adminExports);
projectApi.route("/cohorts", cohortInsights);
projectApi.route("/cohorts", definitionRoutes("cohorts"));
projectApi.route("/computations", computationDistribution);
projectApi.route("/computations", definitionRoutes("computations"));
projectApi.route("/predictions", trainRoute("prediction"));
projectApi.route("/predictions", predictionScores);
projectApi.route("/predictions", definitionRoutes("predictions"));
projectApi.route("/recommendations", trainRoute("recommendation"));
projectApi.route("/recommendations", definitionRoutes("recommendations"));
projectApi.route("/destinations", definitionRoutes("destinations"));
projectApi.route("/syncs", definitionRoutes("syncs"));
projectApi.route("/backfills", adminBackfills);
projectApi.route("/reconciliations", adminReconciliations);
projectApi.route("/archive", adminArchive);
projectApi.route("/catalog", adminCatalog);
projectApi.route("/models", adminModels);
projectApi.route("/training-jobs", adminTrainingJobs);

/** The admin JSON API, all behind the admin token but its own description. */
export const adminApi = createApp();
let described: unknown;
adminApi.get("/openapi.json", (c) => c.json((described ??= adminOpenApi())));
adminApi.use("*", requireAdmin);
adminApi.route("/projects", adminProjects);
adminApi.route("/projects/:project", projectApi);
// Trainers take jobs from every project's queue; a job's reports go through its project.
adminApi.route("/training-jobs", trainerQueue);

/** The OpenAPI 3.1 document of the admin API, from the contracts its routes declare (docs/openapi.json is this, committed). */
export function adminOpenApi() {
  return openApiDocument(adminApi, "/admin/api", {
    title: "Tailor admin API",
    version: "1",
    description:
      "Definitions (cohorts, computed properties, predictions, recommendations, destinations, syncs), models, jobs and users of each project, behind the ADMIN_TOKEN bearer token. Errors are `{error: {code, message, details}}`; a 400 names each field refused.",
  });
}
