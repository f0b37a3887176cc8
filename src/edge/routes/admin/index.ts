import { requireAdmin } from "../../admin-auth";
import { createApp } from "../../app";
import { requireProject } from "../../project-scope";
import { adminArchive } from "./archive";
import { adminBackfills } from "./backfills";
import { adminDeletions } from "./deletions";
import { adminExports } from "./exports";
import { adminModels } from "./models";
import { definitionRoutes } from "./definitions";
import { cohortTrend, computationDistribution } from "./insights";
import { adminProjects, projectRoutes } from "./projects";
import { adminReconciliations } from "./reconciliations";
import { adminTrainingJobs, trainerQueue, trainRoute } from "./training";

/**
 * Everything a project owns, mounted at /admin/api/projects/:project: one middleware
 * resolves the project (404 for an unknown one), so no handler reads it from anywhere else.
 */
const projectApi = createApp();
projectApi.use("*", requireProject);
projectApi.route("/", projectRoutes);
projectApi.route("/deletions", adminDeletions);
projectApi.route("/exports", adminExports);
projectApi.route("/cohorts", cohortTrend);
projectApi.route("/cohorts", definitionRoutes("cohorts"));
projectApi.route("/computations", computationDistribution);
projectApi.route("/computations", definitionRoutes("computations"));
projectApi.route("/predictions", trainRoute("prediction"));
projectApi.route("/predictions", definitionRoutes("predictions"));
projectApi.route("/recommendations", trainRoute("recommendation"));
projectApi.route("/recommendations", definitionRoutes("recommendations"));
projectApi.route("/destinations", definitionRoutes("destinations"));
projectApi.route("/syncs", definitionRoutes("syncs"));
projectApi.route("/backfills", adminBackfills);
projectApi.route("/reconciliations", adminReconciliations);
projectApi.route("/archive", adminArchive);
projectApi.route("/models", adminModels);
projectApi.route("/training-jobs", adminTrainingJobs);

/** The admin JSON API, all behind the admin token. */
export const adminApi = createApp();
adminApi.use("*", requireAdmin);
adminApi.route("/projects", adminProjects);
adminApi.route("/projects/:project", projectApi);
// Trainers take jobs from every project's queue; a job's reports go through its project.
adminApi.route("/training-jobs", trainerQueue);
