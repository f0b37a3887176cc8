import { Hono } from "hono";
import type { UiEnv } from "../auth";
import { errorDetails } from "../forms";
import { Alert, Layout, PostForm, projectPath, when } from "../layout";
import { formFields, projectPage, redirectShowingOnce, takeShownOnce, type UiContext } from "../page";

interface Project {
  id: string;
  name: string;
  created_at: number;
  api_key: string | null;
  secret_key_prefix: string | null;
}

/** The project's public ingest key and secret key prefix; rotating shows the new key once. */
export const keysPage = new Hono<UiEnv>();

async function render(c: UiContext, issued?: { kind: string; key: string }, error?: string) {
  const { api, ctx, project } = await projectPage(c, "keys");
  const r = await api.get<{ project: Project }>("");
  const p = r.json.project;
  const action = projectPath(project, "/keys/rotate");
  return c.html(
    <Layout ctx={ctx} title="Project keys">
      <h1>Project keys</h1>
      {error === undefined ? null : <Alert>{error}</Alert>}
      {issued === undefined ? null : (
        <Alert kind="good">
          New {issued.kind} key (shown only now; the old one stops working within a minute):{" "}
          <span class="key" id="issued-key">
            {issued.key}
          </span>
        </Alert>
      )}
      <div class="panel">
        <h2>Ingest key (public)</h2>
        <p>
          <span class="key" id="api-key">
            {p.api_key ?? "–"}
          </span>
        </p>
        <p class="muted">
          Safe in browsers and apps: it can only send events (<code>POST /2/httpapi</code>, <code>/batch</code>), never read.
        </p>
        <PostForm action={action} csrf={ctx.csrf} confirm="Rotate the ingest key? Clients using the old key stop working.">
          <input type="hidden" name="kind" value="ingest" />
          <button type="submit" class="secondary">
            Rotate ingest key
          </button>
        </PostForm>
      </div>
      <div class="panel">
        <h2>Secret key</h2>
        <p>
          <span class="key">{p.secret_key_prefix ?? "–"}…</span> <span class="muted">(stored only as a hash)</span>
        </p>
        <p class="muted">For server-side reads: the User Profile API and the Cohort API.</p>
        <PostForm action={action} csrf={ctx.csrf} confirm="Rotate the secret key? Servers using the old key stop working.">
          <input type="hidden" name="kind" value="secret" />
          <button type="submit" class="danger" id="rotate-secret">
            Rotate secret key
          </button>
        </PostForm>
      </div>
      <p class="muted">Project created {when(p.created_at)}.</p>
    </Layout>,
  );
}

keysPage.get("/", async (c) => {
  const once = await takeShownOnce(c);
  return render(c, once?.key === undefined ? undefined : { kind: once.kind ?? "", key: once.key }, c.req.query("error"));
});

keysPage.post("/rotate", async (c) => {
  const { api, project } = await projectPage(c, "keys");
  const { kind } = await formFields(c);
  const r = await api.send<{ kind: string; key: string }>("POST", "/keys/rotate", { kind });
  // A reload of the page after this must not rotate again: redirect, the key shown once there.
  const back = projectPath(project, "/keys");
  return r.ok ? redirectShowingOnce(c, back, r.json) : c.redirect(`${back}?error=${encodeURIComponent(errorDetails(r.json).message)}`, 303);
});
