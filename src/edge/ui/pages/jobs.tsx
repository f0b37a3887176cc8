import { Hono } from "hono";
import type { UiEnv } from "../auth";
import { fieldId, SelectField, TextArea, TextField, type FieldErrors } from "../fields";
import { errorDetails } from "../forms";
import { Alert, fmt, Layout, PostForm, projectPath, when } from "../layout";
import { formFields, projectPage, type Item, type UiContext } from "../page";
import { ProfileLink } from "../profile-link";

/** A cohort download as /admin/api/…/exports lists it. */
interface Download {
  id: string;
  cohort_id: string;
  status: "running" | "completed" | "failed";
  rows: number | null;
  failed_attempts: number;
  failures: number;
  failed_profiles: string[];
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

/** A privacy deletion as /admin/api/…/deletions lists it. */
interface Deletion {
  id: string;
  status: string;
  requester: string | null;
  profiles: { profile_key: string; requested_ids: string[]; erased_at: number | null }[];
  skipped_ids: string[];
  archive: { lines_removed: number };
  attempts: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

const BADGE: Record<string, string> = { completed: "badge good", done: "badge good", failed: "badge bad" };
const MAX_LISTED = 20;

/**
 * Cohort downloads and privacy deletions: ask for one, follow it (the tables refresh while
 * a job runs, and the page reloads when one ends), and see what a failed one could not do.
 */
export const jobsPage = new Hono<UiEnv>();

/** The first profiles a job could not handle, as links to their lookup. */
function FailedProfiles(props: { project: string; keys: string[]; total: number; label: string; id: string }) {
  if (props.keys.length === 0) return null;
  const shown = props.keys.slice(0, MAX_LISTED);
  return (
    <div class="muted" id={props.id}>
      {props.label}:{" "}
      {shown.map((key, i) => (
        <>
          {i > 0 ? ", " : ""}
          <ProfileLink project={props.project} profileKey={key} />
        </>
      ))}
      {props.total > shown.length ? ` and ${fmt(props.total - shown.length)} more` : ""}
    </div>
  );
}

function Downloads(props: { project: string; apiBase: string; downloads: Download[]; cohortName: (id: string) => string }) {
  const running = props.downloads.some((d) => d.status === "running");
  if (props.downloads.length === 0) return <p class="muted">No cohort downloads yet.</p>;
  return (
    <table
      id="downloads"
      data-live-url={running ? `${props.apiBase}/exports` : undefined}
      data-live-list={running ? "exports" : undefined}
      data-live-reload={running ? "" : undefined}
    >
      <thead>
        <tr>
          <th>Requested</th>
          <th>Cohort</th>
          <th>Status</th>
          <th class="num">Members</th>
          <th>File</th>
        </tr>
      </thead>
      <tbody>
        {props.downloads.map((d) => (
          <tr>
            <td class="muted nowrap">{when(d.created_at)}</td>
            <td>
              <a href={`${projectPath(props.project, "/cohorts")}/${encodeURIComponent(d.cohort_id)}`}>{props.cohortName(d.cohort_id)}</a>
            </td>
            <td>
              <span class={BADGE[d.status] ?? "badge"} data-live-id={d.id} data-live-field="status">
                {d.status}
              </span>
              {d.failed_attempts === 0 ? null : (
                <div class="muted">
                  {d.status === "running" ? "retrying: " : ""}
                  {fmt(d.failed_attempts)} failed attempts, {fmt(d.failures)} members unread{d.last_error === null ? "" : ` (${d.last_error})`}
                </div>
              )}
              <FailedProfiles project={props.project} keys={d.failed_profiles} total={d.failures} label="Not read" id={`download-failed-${d.id}`} />
            </td>
            <td class="num">
              <span data-live-id={d.id} data-live-field="rows">
                {fmt(d.rows)}
              </span>
            </td>
            <td>
              {d.status !== "completed" ? (
                "–"
              ) : (
                <>
                  <a href={`${props.apiBase}/exports/${encodeURIComponent(d.id)}/file`} download>
                    CSV
                  </a>{" "}
                  ·{" "}
                  <a href={`${props.apiBase}/exports/${encodeURIComponent(d.id)}/file?format=json`} download>
                    JSON
                  </a>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Deletions(props: { project: string; apiBase: string; deletions: Deletion[] }) {
  // Amplitude's states: staging → submitted → done; a deletion is never given up, only retried.
  const running = props.deletions.some((d) => d.status !== "done");
  if (props.deletions.length === 0) return <p class="muted">No deletions yet.</p>;
  return (
    <table
      id="deletions"
      data-live-url={running ? `${props.apiBase}/deletions` : undefined}
      data-live-list={running ? "deletions" : undefined}
      data-live-reload={running ? "" : undefined}
    >
      <thead>
        <tr>
          <th>Requested</th>
          <th>Requester</th>
          <th>Status</th>
          <th class="num">Profiles erased</th>
          <th class="num">Archived events removed</th>
        </tr>
      </thead>
      <tbody>
        {props.deletions.map((d) => {
          const left = d.profiles.filter((p) => p.erased_at === null).map((p) => p.profile_key);
          return (
            <tr>
              <td class="muted nowrap">{when(d.created_at)}</td>
              <td>{d.requester ?? "–"}</td>
              <td>
                <span class={BADGE[d.status] ?? "badge"} data-live-id={d.id} data-live-field="status">
                  {d.status}
                </span>
                {d.last_error === null ? null : (
                  <>
                    <div class="muted">
                      {d.status === "done" ? "" : `retrying (${fmt(d.attempts)} failed attempts): `}
                      {d.last_error}
                    </div>
                    <FailedProfiles project={props.project} keys={left} total={left.length} label="Not erased yet" id={`deletion-left-${d.id}`} />
                  </>
                )}
                {d.skipped_ids.length === 0 ? null : <div class="muted">Unknown ids skipped: {d.skipped_ids.slice(0, MAX_LISTED).join(", ")}</div>}
              </td>
              <td class="num">
                {fmt(d.profiles.length - left.length)} of {fmt(d.profiles.length)}
              </td>
              <td class="num">{fmt(d.archive.lines_removed)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

async function render(c: UiContext, opts: { errors?: FieldErrors; fields?: Record<string, string>; notice?: string } = {}) {
  const { api, ctx, project, apiBase } = await projectPage(c, "jobs");
  const [cohorts, downloads, deletions] = await Promise.all([
    api.get<{ cohorts: Item[] }>("/cohorts"),
    api.get<{ exports: Download[] }>("/exports"),
    api.get<{ deletions: Deletion[] }>("/deletions"),
  ]);
  const names = new Map((cohorts.json.cohorts ?? []).map((item) => [item.id, item.name]));
  const fields = opts.fields ?? {};
  const errors = opts.errors ?? {};
  const base = projectPath(project, "/jobs");
  return c.html(
    <Layout ctx={ctx} title="Downloads & deletions">
      <h1>Downloads &amp; deletions</h1>
      <p class="muted">Background jobs: each retries what fails, and ends with everything done or says what it could not do.</p>
      {opts.notice === undefined ? null : <Alert kind="good">{opts.notice}</Alert>}
      <div class="panel">
        <h2>Cohort downloads</h2>
        <p class="muted">
          Every member of a cohort as a file (the Cohort API's <code>/api/5/cohorts/request</code>); a member that cannot be read fails the download rather than
          leaving it out.
        </p>
        {names.size === 0 ? (
          <p class="muted">Define a cohort first.</p>
        ) : (
          <PostForm action={`${base}/downloads`} csrf={ctx.csrf} class="row">
            <SelectField
              name="cohort_id"
              label="Cohort"
              value={fields.cohort_id}
              options={[...names].map(([id, name]) => [id, name] as const)}
              errors={errors}
            />
            <div class="field">
              <label for={fieldId("props")}>
                <input id={fieldId("props")} name="props" type="checkbox" value="true" checked={fields.props === "true"} /> with user properties
              </label>
            </div>
            <button type="submit" id="request-download">
              Download members
            </button>
          </PostForm>
        )}
        <Downloads project={project} apiBase={apiBase} downloads={downloads.json.exports ?? []} cohortName={(id) => names.get(id) ?? id} />
      </div>
      <div class="panel">
        <h2>Privacy deletions</h2>
        <p class="muted">
          Erases users or devices with all their data: profile, devices, cohort memberships (as exits, so syncs remove them downstream) and archived events. It
          cannot be undone.
        </p>
        <PostForm action={`${base}/deletions`} csrf={ctx.csrf} confirm="Erase these profiles and all their data? This cannot be undone.">
          <SelectField
            name="id_type"
            label="Ids are"
            value={fields.id_type}
            options={[
              ["user_id", "user ids"],
              ["device_id", "device ids"],
            ]}
            errors={errors}
          />
          <TextArea name="ids" label="Ids, one per line (at most 100)" value={fields.ids} rows={4} errors={errors} />
          <TextField name="requester" label="Requested by (optional)" value={fields.requester} errors={errors} placeholder="privacy@example.com" />
          <button type="submit" class="danger" id="request-deletion">
            Erase
          </button>
        </PostForm>
        <Deletions project={project} apiBase={apiBase} deletions={deletions.json.deletions ?? []} />
      </div>
    </Layout>,
  );
}

jobsPage.get("/", (c) => render(c, { notice: c.req.query("notice") }));

jobsPage.post("/downloads", async (c) => {
  const { api, project } = await projectPage(c, "jobs");
  const f = await formFields(c);
  const r = await api.send("POST", "/exports", { cohort_id: f.cohort_id ?? "", props: f.props === "true" });
  if (!r.ok) return render(c, { fields: f, errors: { cohort_id: errorDetails(r.json).message } });
  return c.redirect(`${projectPath(project, "/jobs")}?notice=${encodeURIComponent("Download requested: it is listed below until its file is ready.")}`, 303);
});

jobsPage.post("/deletions", async (c) => {
  const { api, project } = await projectPage(c, "jobs");
  const f = await formFields(c);
  const ids = (f.ids ?? "")
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (ids.length === 0) return render(c, { fields: f, errors: { ids: "Give at least one id" } });
  const key = f.id_type === "device_id" ? "device_ids" : "user_ids";
  const r = await api.send("POST", "/deletions", { [key]: ids, ...(f.requester ? { requester: f.requester } : {}) });
  if (!r.ok) return render(c, { fields: f, errors: { ids: errorDetails(r.json).message } });
  return c.redirect(`${projectPath(project, "/jobs")}?notice=${encodeURIComponent(`Deletion of ${ids.length} ids started: it is listed below.`)}`, 303);
});
