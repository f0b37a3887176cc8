import { isActive, isClaimable, type TrainingJobView } from "../../core/training-jobs";
import type { ApiClient } from "./api";
import { Alert, PostForm, when } from "./layout";

/** A definition's latest training jobs in the admin API (under `/admin/api`): the panel's list, and what it refreshes from. */
const jobsPath = (ownerId: string) => `/training-jobs?owner=${encodeURIComponent(ownerId)}&limit=5`;

/** A definition's latest training jobs, newest first (none when the API has no queue). */
export async function trainingJobs(api: ApiClient, ownerId: string): Promise<TrainingJobView[]> {
  const r = await api.get<{ jobs: TrainingJobView[] }>(jobsPath(ownerId));
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
export function TrainingPanel(props: { jobs: TrainingJobView[]; base: string; csrf: string; apiBase: string; ownerId: string; notice?: string }) {
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
      {/* The notices speak of a job still on its way: once it ended, the table says how. */}
      {props.notice === "queued" && jobs.some((j) => j.status === "queued") ? (
        <Alert kind="good">Training queued: a trainer picks it up within seconds and this table follows it.</Alert>
      ) : null}
      {props.notice === "running" && jobs.some((j) => j.status === "running") ? (
        <Alert kind="good">Already training: the running job below publishes the new version.</Alert>
      ) : null}
      <p class="muted">
        Trains on the whole event archive, checks the model on a holdout, publishes it as a new version and makes it active. A trainer process runs the job:{" "}
        <code>npm start</code> starts one; for a deployed Worker, run <code>npm run train -- --watch --url https://…</code> on any machine with Node.
      </p>
      {jobs.length === 0 ? null : (
        <table
          id="training-jobs"
          data-live-url={waiting ? `${props.apiBase}${jobsPath(props.ownerId)}` : undefined}
          data-live-list={waiting ? "jobs" : undefined}
          // As a job moves on, the page reloads: its start and end times and the new version show.
          data-live-reload={waiting ? "" : undefined}
        >
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
