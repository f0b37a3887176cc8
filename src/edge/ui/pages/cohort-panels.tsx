import { BarChart, ChartCard } from "../charts/svg";
import type { DetailArgs } from "../definitions";
import { SelectField, TextArea } from "../fields";
import { Alert, fmt, PostForm, projectPath, when } from "../layout";
import { ProfileLink } from "../profile-link";

// A saved cohort's page above its editor: size and trend, backfill, members, overlap with
// the other cohorts, uploads of a static cohort's members, downloads and "Sync this cohort".

interface Backfill {
  id: string;
  status: string;
  failures: number;
  failed_profiles: string[];
  processed: number;
  total: number | null;
  started_at: number;
}

const MEMBERS_SHOWN = 20;

interface Overlap {
  size: number;
  overlaps: { cohort_id: string; name: string; size: number; both: number }[];
}

/** How this cohort's members are shared with every other cohort (both, and as a share of each). */
function OverlapTable(props: { project: string; overlap: Overlap }) {
  const share = (part: number, whole: number) => (whole === 0 ? "–" : `${((part / whole) * 100).toFixed(0)} %`);
  return (
    <>
      <h2>Overlap with other cohorts</h2>
      <table id="cohort-overlap">
        <thead>
          <tr>
            <th>Cohort</th>
            <th class="num">Its members</th>
            <th class="num">In both</th>
            <th class="num">Share of this cohort</th>
            <th class="num">Share of that cohort</th>
          </tr>
        </thead>
        <tbody>
          {props.overlap.overlaps.map((o) => (
            <tr>
              <td>
                <a href={`${projectPath(props.project, "/cohorts")}/${o.cohort_id}`}>{o.name}</a>
              </td>
              <td class="num">{fmt(o.size)}</td>
              <td class="num">{fmt(o.both)}</td>
              <td class="num">{share(o.both, props.overlap.size)}</td>
              <td class="num">{share(o.both, o.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The cohort's first members (by id), each a link to its user lookup. */
function MemberList(props: { project: string; size: number; members: { user_id: string | null; device_id: string | null }[] }) {
  return (
    <>
      <h2>Members</h2>
      {props.members.length === 0 ? (
        <p class="muted">Nobody is in this cohort now.</p>
      ) : (
        <div class="panel" id="cohort-members">
          <p class="muted">
            {props.members.length < props.size
              ? `The first ${fmt(props.members.length)} of ${fmt(props.size)}, by id (Download members for all of them).`
              : "All of them, by id."}
          </p>
          <ul class="props">
            {props.members.map((m) => (
              <li>
                <ProfileLink project={props.project} profileKey={m.user_id !== null ? `u:${m.user_id}` : `d:${m.device_id ?? ""}`} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

export async function cohortExtras({ c, api, project, apiBase, item, ctx }: DetailArgs) {
  const [trend, backfills, members, overlap] = await Promise.all([
    api.get<{ days: { day: number; entered: number; exited: number }[] }>(`/cohorts/${item.id}/trend?days=14`),
    api.get<{ backfills: Backfill[] }>(`/backfills`),
    api.get<{ size: number; members: { user_id: string | null; device_id: string | null }[] }>(`/cohorts/${item.id}/members?limit=${MEMBERS_SHOWN}`),
    api.get<Overlap>(`/cohorts/${item.id}/overlap`),
  ]);
  const days = trend.ok ? trend.json.days : [];
  const entered = days.reduce((s, d) => s + d.entered, 0);
  const exited = days.reduce((s, d) => s + d.exited, 0);
  const latest = backfills.ok ? backfills.json.backfills[0] : undefined;
  const isStatic = item.definition.type === "static";
  const applied = c.req.query("applied");
  const uploadError = c.req.query("upload_error");
  return (
    <div>
      {applied === undefined ? null : (
        <Alert kind="good">
          Added {applied} ids ({c.req.query("skipped") ?? 0} never seen, skipped).
        </Alert>
      )}
      <div class="charts">
        <div class="panel">
          <div class="stats">
            <div>
              <span>Members now</span>
              <output class="big" data-live-url={`${apiBase}/cohorts/${item.id}`} data-live-field="size" aria-live="polite" id="cohort-size">
                {fmt(item.size ?? 0)}
              </output>
            </div>
            <div>
              <span>14 days</span>+{fmt(entered)} / −{fmt(exited)}
            </div>
          </div>
          <div class="row">
            <PostForm action={projectPath(project, "/jobs/downloads")} csrf={ctx.csrf}>
              <input type="hidden" name="cohort_id" value={item.id} />
              <button type="submit" class="secondary" id="download-members">
                Download members (CSV)
              </button>
            </PostForm>
            <a class="button secondary" id="sync-cohort" href={`${projectPath(project, "/syncs/new")}?${new URLSearchParams({ "d.what.cohort_id": item.id })}`}>
              Sync this cohort
            </a>
          </div>
          {latest === undefined ? null : (
            // While it runs, its status and progress refresh from the API (the page need not be reloaded).
            <p class="muted" id="backfill-status" data-live-url={latest.status === "running" ? `${apiBase}/backfills` : undefined} data-live-list="backfills">
              Last backfill:{" "}
              <span data-live-id={latest.id} data-live-field="status">
                {latest.status}
              </span>
              ,{" "}
              <span data-live-id={latest.id} data-live-field="processed">
                {fmt(latest.processed)}
              </span>
              {latest.total === null ? "" : ` of ${fmt(latest.total)}`} profiles, started {when(latest.started_at)}
              {latest.failures > 0 ? `; ${fmt(latest.failures)} profiles could not be recomputed${latest.status === "running" ? " yet (retrying)" : ""}` : ""}
            </p>
          )}
          {latest === undefined || latest.failed_profiles.length === 0 ? null : (
            <p class="muted" id="backfill-failed">
              Not recomputed{latest.failed_profiles.length < latest.failures ? ` (first ${fmt(latest.failed_profiles.length)})` : ""}:{" "}
              {latest.failed_profiles.slice(0, 20).map((key, i) => (
                <>
                  {i > 0 ? ", " : ""}
                  <ProfileLink project={project} profileKey={key} />
                </>
              ))}
              {latest.failed_profiles.length > 20 ? ` and ${fmt(latest.failed_profiles.length - 20)} more (GET …/backfills lists them all)` : ""}
            </p>
          )}
          {c.req.query("backfill_error") === undefined ? null : <Alert>{c.req.query("backfill_error")}</Alert>}
          {latest?.status !== "partial" ? null : (
            <PostForm action={`${projectPath(project, "/cohorts")}/${item.id}/backfills/${latest.id}/resume`} csrf={ctx.csrf}>
              <button type="submit" id="resume-backfill">
                Retry the failed profiles
              </button>
            </PostForm>
          )}
        </div>
        <ChartCard title="Net change per day" legend="Entered minus exited, last 14 days (UTC), from the membership change log.">
          <BarChart
            values={days.map((d) => d.entered - d.exited)}
            labels={days.map((d) => new Date(d.day).toISOString().slice(5, 10))}
            desc="Daily net membership change"
          />
        </ChartCard>
      </div>
      {members.ok ? <MemberList project={project} size={members.json.size} members={members.json.members} /> : null}
      {overlap.ok && overlap.json.overlaps.length > 0 ? <OverlapTable project={project} overlap={overlap.json} /> : null}
      {!isStatic ? null : (
        <>
          <h2>Upload members</h2>
          {uploadError === undefined ? null : <Alert>{uploadError}</Alert>}
          <PostForm action={`${projectPath(project, "/cohorts")}/${item.id}/members`} csrf={ctx.csrf} class="panel" enctype="multipart/form-data">
            <div class="field">
              <label for="f-file">CSV file</label>
              <input id="f-file" name="file" type="file" accept=".csv,text/csv,text/plain" />
              <div class="hint">One id per line, or a CSV with a user_id (or device_id) column.</div>
            </div>
            <TextArea name="ids" label="…or paste ids" rows={4} />
            <div class="row">
              <SelectField
                name="id_type"
                label="Ids are"
                options={[
                  ["user_id", "user ids"],
                  ["device_id", "device ids"],
                ]}
              />
              <SelectField
                name="operation"
                label="Operation"
                options={[
                  ["add", "add"],
                  ["remove", "remove"],
                ]}
              />
            </div>
            <button type="submit">Upload</button>
          </PostForm>
        </>
      )}
    </div>
  );
}
