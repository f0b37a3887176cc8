import type { Child } from "hono/jsx";
import type { Hono } from "hono";
import { isActive, isClaimable, type TrainingJobView } from "../../core/training-jobs";
import type { ApiClient } from "./api";
import type { UiEnv } from "./auth";
import { errorDetails } from "./forms";
import { Alert, PostForm, projectPath, when } from "./layout";
import { projectPage } from "./page";

/** A published model version as `/admin/api/models` lists it. */
export interface ModelRow<M = unknown> {
  id: string;
  version: number;
  active: boolean;
  created_at: number;
  metrics: M;
}

/**
 * The versions of a prediction's or recommendation's model: when each was trained, the
 * kind's own columns, which is active, and a button to activate (or roll back to) another.
 */
export function ModelVersions<M>(props: { models: ModelRow<M>[]; base: string; csrf: string; columns: { label: string; cell: (m: ModelRow<M>) => Child }[]; version?: (m: ModelRow<M>) => Child }) {
  const active = props.models.find((m) => m.active);
  return (
    <table id="models">
      <thead>
        <tr>
          <th>Version</th>
          <th>Trained</th>
          {props.columns.map((c) => (
            <th class="num">{c.label}</th>
          ))}
          <th>State</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {props.models.map((m) => (
          <tr>
            <td>{props.version ? props.version(m) : `v${m.version}`}</td>
            <td class="muted nowrap">{when(m.created_at)}</td>
            {props.columns.map((c) => (
              <td class="num">{c.cell(m)}</td>
            ))}
            <td>{m.active ? <span class="badge good">active</span> : <span class="badge">inactive</span>}</td>
            <td>
              {m.active ? null : (
                <PostForm action={`${props.base}/models/${m.id}/activate`} csrf={props.csrf}>
                  <button type="submit" class="secondary">
                    {active !== undefined && m.version < active.version ? "Roll back to this" : "Activate"}
                  </button>
                </PostForm>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type ModelKind = "predictions" | "recommendations";

/**
 * A definition's model routes: `POST /:id/models/:model/activate` makes a version the
 * active one; `POST /:id/train` queues a training. Both go back to the detail page.
 */
export function modelRoutes(kind: ModelKind) {
  return (app: Hono<UiEnv>) => {
    app.post("/:id/models/:model/activate", async (c) => {
      const { api, project, q } = await projectPage(c, kind);
      const model = c.req.param("model");
      const r = await api.send("POST", `/models/${encodeURIComponent(model)}/activate?${q}`);
      const base = `${projectPath(project, `/${kind}`)}/${encodeURIComponent(c.req.param("id"))}`;
      return c.redirect(r.ok ? `${base}?model=${encodeURIComponent(model)}&activated=1` : `${base}?error=${encodeURIComponent(errorDetails(r.json).message)}`, 303);
    });
    app.post("/:id/train", async (c) => {
      const { api, project, q } = await projectPage(c, kind);
      const r = await api.send<TrainingJobView>("POST", `/${kind}/${encodeURIComponent(c.req.param("id"))}/train?${q}`);
      const base = `${projectPath(project, `/${kind}`)}/${encodeURIComponent(c.req.param("id"))}`;
      return c.redirect(r.ok ? `${base}?training=${r.json.status}#training` : `${base}?error=${encodeURIComponent(errorDetails(r.json).message)}`, 303);
    });
  };
}

/** A definition's latest training jobs, newest first (none when the API has no queue). */
export async function trainingJobs(api: ApiClient, q: string, ownerId: string): Promise<TrainingJobView[]> {
  const r = await api.get<{ jobs: TrainingJobView[] }>(`/training-jobs?${q}&owner=${encodeURIComponent(ownerId)}&limit=5`);
  return r.ok ? r.json.jobs : [];
}

const STATUS_CLASS: Record<TrainingJobView["status"], string> = { queued: "badge", running: "badge", succeeded: "badge good", failed: "badge bad" };

/** One live cell: the client script refreshes it from the job list while a job is queued or running. */
function Live(props: { job: TrainingJobView; field: "status" | "message" | "error" | "model_version"; class?: string }) {
  const value = props.job[props.field];
  return (
    <span class={props.class} data-live-id={props.job.id} data-live-field={props.field}>
      {value === null ? "–" : String(value)}
    </span>
  );
}

/**
 * "Train now" and the latest training jobs: status, times, the trainer's progress line,
 * the version it published or its error. While a job is queued or running the table
 * refreshes itself (the UI's `data-live-url`).
 */
export function TrainingPanel(props: { jobs: TrainingJobView[]; base: string; csrf: string; q: string; ownerId: string; notice?: string }) {
  const { jobs } = props;
  const now = Date.now();
  const waiting = jobs.some(isActive);
  return (
    <div id="training">
      <div class="between">
        <h2>Training</h2>
        <PostForm action={`${props.base}/train`} csrf={props.csrf}>
          <button type="submit">Train now</button>
        </PostForm>
      </div>
      {props.notice === "queued" ? <Alert kind="good">Training queued: a trainer picks it up within seconds and this table follows it.</Alert> : null}
      {props.notice === "running" ? <Alert kind="good">Already training: the running job below publishes the new version.</Alert> : null}
      <p class="muted">
        Trains on the whole event archive, checks the model on a holdout, publishes it as a new version and makes it active. A trainer process runs the job:{" "}
        <code>npm start</code> starts one; for a deployed Worker, run <code>npm run train -- --watch --url https://…</code> on any machine with Node.
      </p>
      {jobs.length === 0 ? null : (
        <table id="training-jobs" data-live-url={waiting ? `/admin/api/training-jobs?${props.q}&owner=${encodeURIComponent(props.ownerId)}&limit=5` : undefined} data-live-list={waiting ? "jobs" : undefined}>
          <thead>
            <tr>
              <th>Requested</th>
              <th>Status</th>
              <th>Started</th>
              <th>Finished</th>
              <th>Progress</th>
              <th class="num">Version</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr>
                <td class="muted nowrap">{when(job.requested_at)}</td>
                <td>
                  <Live job={job} field="status" class={STATUS_CLASS[job.status]} />
                  {job.status === "running" && isClaimable(job, now) ? <div class="muted">its trainer went quiet: the next trainer takes it over</div> : null}
                </td>
                <td class="muted nowrap">{when(job.started_at)}</td>
                <td class="muted nowrap">{when(job.finished_at)}</td>
                <td>
                  <Live job={job} field="message" />
                </td>
                <td class="num">
                  <Live job={job} field="model_version" />
                </td>
                <td>
                  <Live job={job} field="error" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {waiting ? <p class="muted">This table updates by itself; reload the page when the job has succeeded to see the new version's quality.</p> : null}
    </div>
  );
}
