import { requireAdmin } from "../../admin-auth";
import { createApp } from "../../app";
import { adminArchive } from "./archive";
import { adminBackfills } from "./backfills";
import { adminDeletions } from "./deletions";
import { adminModels } from "./models";
import { definitionRoutes } from "./definitions";
import { cohortTrend, computationDistribution } from "./insights";
import { adminProjects } from "./projects";
import { adminTrainingJobs, trainRoute } from "./training";

/** The admin JSON API: one sub-app per resource, all behind the admin token. */
export const adminApi = createApp();

adminApi.use("*", requireAdmin);
adminApi.route("/projects/:project/deletions", adminDeletions);
adminApi.route("/projects", adminProjects);
adminApi.route("/cohorts", cohortTrend);
adminApi.route("/cohorts", definitionRoutes("cohorts"));
adminApi.route("/computations", computationDistribution);
adminApi.route("/computations", definitionRoutes("computations"));
adminApi.route("/predictions", trainRoute("prediction"));
adminApi.route("/predictions", definitionRoutes("predictions"));
adminApi.route("/recommendations", trainRoute("recommendation"));
adminApi.route("/recommendations", definitionRoutes("recommendations"));
adminApi.route("/destinations", definitionRoutes("destinations"));
adminApi.route("/syncs", definitionRoutes("syncs"));
adminApi.route("/backfills", adminBackfills);
adminApi.route("/archive", adminArchive);
adminApi.route("/models", adminModels);
adminApi.route("/training-jobs", adminTrainingJobs);
