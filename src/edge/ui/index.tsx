import { Hono } from "hono";
import { ApiFailure } from "./api";
import { authRoutes, requireSession, type UiEnv } from "./auth";
import { CLIENT_SCRIPT } from "./client";
import { definitionPages } from "./definitions";
import { Alert, Layout } from "./layout";
import { cohortsUi } from "./pages/cohorts";
import { computationsUi } from "./pages/computations";
import { jobsPage } from "./pages/jobs";
import { keysPage } from "./pages/keys";
import { performancePage } from "./pages/performance";
import { predictionsUi } from "./pages/predictions";
import { projectsPage } from "./pages/projects";
import { recommendationsUi } from "./pages/recommendations";
import { destinationsUi } from "./pages/destinations";
import { syncsUi } from "./pages/syncs";
import { usersPage } from "./pages/users";
import { STYLESHEET } from "./style";

/**
 * The admin UI at /admin: server-rendered pages (hono/jsx) that read and write only
 * through the admin API (/admin/api), signed in with a session cookie.
 */
export const adminUi = new Hono<UiEnv>();

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

adminUi.onError((err, c) => {
  const status = err instanceof ApiFailure ? (err.result.status === 404 ? 404 : 502) : 500;
  if (!(err instanceof ApiFailure)) console.error("admin UI error", c.req.method, c.req.path, err);
  const csrf = c.get("csrf");
  return c.html(
    <Layout ctx={{ csrf: csrf ?? "" }} title="Error">
      <h1>{status === 404 ? "Not found" : "Something went wrong"}</h1>
      <Alert>{err instanceof ApiFailure ? err.message : "An unexpected error; the Worker's log has the details."}</Alert>
      <a href="/admin">Back to projects</a>
    </Layout>,
    status,
  );
});

adminUi.use("*", async (c, next) => {
  if (c.req.path.startsWith("/admin/api/")) return next();
  await next();
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
});

const asset = (body: string, type: string) => () => new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=300" } });
adminUi.get("/ui.css", asset(STYLESHEET, "text/css; charset=utf-8"));
adminUi.get("/ui.js", asset(CLIENT_SCRIPT, "text/javascript; charset=utf-8"));
adminUi.route("/", authRoutes);

adminUi.use("*", async (c, next) => (c.req.path.startsWith("/admin/api/") ? next() : requireSession(c, next)));
adminUi.route("/", projectsPage);
adminUi.get("/p/:project", (c) => c.redirect(`/admin/p/${encodeURIComponent(c.req.param("project"))}/cohorts`, 303));
for (const ui of [cohortsUi, computationsUi, predictionsUi, recommendationsUi, destinationsUi, syncsUi])
  adminUi.route(`/p/:project/${ui.kind}`, definitionPages(ui));
adminUi.route("/p/:project/users", usersPage);
adminUi.route("/p/:project/keys", keysPage);
adminUi.route("/p/:project/jobs", jobsPage);
adminUi.route("/p/:project/performance", performancePage);
