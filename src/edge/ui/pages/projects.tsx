import { Hono } from "hono";
import { apiClient, must } from "../api";
import type { UiEnv } from "../auth";
import { TextField, type FieldErrors } from "../fields";
import { fieldErrors } from "../forms";
import { Alert, Layout, PostForm, projectPath, type ProjectRef } from "../layout";
import { formFields, redirectShowingOnce, takeShownOnce, type UiContext } from "../page";

/** The project picker (and creating a project). */
export const projectsPage = new Hono<UiEnv>();

async function render(
  c: UiContext,
  errors: FieldErrors = {},
  values: Record<string, string> = {},
  created?: { id: string; api_key: string; secret_key: string },
) {
  const api = apiClient(c, c.get("csrf"));
  const { projects } = await must(api.get<{ projects: (ProjectRef & { api_key: string | null })[] }>("/projects"));
  const ctx = { csrf: c.get("csrf"), projects };
  return c.html(
    <Layout ctx={ctx} title="Projects">
      <h1>Projects</h1>
      {created === undefined ? null : (
        <Alert kind="good">
          Project {created.id} created. Ingest key <span class="key">{created.api_key}</span>, secret key (shown only now){" "}
          <span class="key">{created.secret_key}</span>
        </Alert>
      )}
      <table>
        <thead>
          <tr>
            <th>Project</th>
            <th>Ingest key</th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr>
              <td>
                <a href={projectPath(p.id, "/cohorts")}>{p.name}</a> <code class="muted">{p.id}</code>
              </td>
              <td>
                <code>{p.api_key ?? "–"}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New project</h2>
      <PostForm action="/admin/projects" csrf={ctx.csrf} class="panel row">
        <TextField name="id" label="Id" value={values.id} errors={errors} hint="lowercase letters, digits, - and _" required />
        <TextField name="name" label="Name" value={values.name} errors={errors} />
        <button type="submit">Create project</button>
      </PostForm>
    </Layout>,
    Object.keys(errors).length > 0 ? 400 : 200,
  );
}

/** The first page after sign-in: the project itself when there is just one (`?all` shows the list anyway). */
projectsPage.get("/", async (c) => {
  if (c.req.query("all") === undefined) {
    const { projects } = await must(apiClient(c, c.get("csrf")).get<{ projects: ProjectRef[] }>("/projects"));
    if (projects.length === 1) return c.redirect(projectPath(projects[0]!.id, "/cohorts"), 303);
  }
  const once = await takeShownOnce(c);
  const created =
    once?.id !== undefined && once.api_key !== undefined && once.secret_key !== undefined
      ? { id: once.id, api_key: once.api_key, secret_key: once.secret_key }
      : undefined;
  return render(c, {}, {}, created);
});

projectsPage.post("/projects", async (c) => {
  const f = await formFields(c);
  const api = apiClient(c, c.get("csrf"));
  const body = { id: (f.id ?? "").trim(), ...(f.name?.trim() ? { name: f.name.trim() } : {}) };
  const r = await api.send<{ api_key: string; secret_key: string }>("POST", "/projects", body);
  if (!r.ok) {
    const errors = fieldErrors(
      r.json,
      [
        ["id", "id"],
        ["name", "name"],
      ],
      "id",
    );
    return render(c, errors, f);
  }
  // Redirect-after-post (a reload does not create again); the secret key is shown once there.
  return redirectShowingOnce(c, "/admin?all", { id: body.id, api_key: r.json.api_key, secret_key: r.json.secret_key });
});

projectsPage.get("/go", (c) => {
  const project = c.req.query("project");
  return c.redirect(project ? projectPath(project, "/cohorts") : "/admin?all", 303);
});
