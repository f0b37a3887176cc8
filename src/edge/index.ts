import { createApp } from "./app";
import { scheduled } from "./cron";
import { edgeSite, renderAtEdge } from "./edge-render";
import { adminApi } from "./routes/admin";
import { cohortApi } from "./routes/cohort-api";
import { health } from "./routes/health";
import { ingest } from "./routes/ingest";
import { posthogRoutes } from "./routes/posthog";
import { privacyApi } from "./routes/privacy-api";
import { profileRoutes } from "./routes/profile";
import { clientRoutes } from "./routes/client";
import { segmentRoutes } from "./routes/segment";
import { adminUi } from "./ui";

export { ProjectJobs } from "../durable/project-jobs";
export { UserProfile } from "../durable/user-profile";

const app = createApp();
app.route("/", health);
app.route("/", ingest);
app.route("/", segmentRoutes);
app.route("/", posthogRoutes);
app.route("/", cohortApi);
app.route("/", profileRoutes);
app.route("/", clientRoutes);
app.route("/", privacyApi);
app.route("/admin/api", adminApi);
app.route("/admin", adminUi);
// Fronting a site (EDGE_ORIGIN): whatever is not Tailor's goes to it, its pages personalized.
app.all("*", (c, next) => {
  const site = edgeSite(c.env);
  return site === null ? next() : renderAtEdge(c, site);
});

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>;
