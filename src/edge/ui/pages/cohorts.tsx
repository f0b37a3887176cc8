import { BarChart, ChartCard } from "../charts/svg";
import { applyEdit } from "../cohort-edit";
import { CohortTree } from "../cohort-editor";
import { cohortFromFields, cohortToFields } from "../cohort-form";
import { idsFromCsv } from "../csv";
import { SelectField, TextArea } from "../fields";
import type { Fields } from "../forms";
import { Alert, fmt, PostForm, projectPath, when } from "../layout";
import { formFields, formFile, projectPage } from "../page";
import { ProfileLink } from "../profile-link";
import { NameWarnings, type DetailArgs, type KindUi } from "../definitions";
import type { SizeEstimate } from "../../../core/segments/preview";

/** A size preview in plain words: the exact count when every profile was read, else the 95 % interval and what it rests on. */
export function estimateWords(r: SizeEstimate): string {
  if (r.exact) return `Exactly ${fmt(r.estimate)} of ${fmt(r.profiles)} profiles would be in this cohort (every profile read, from its stored events).`;
  const range = r.low === r.high ? fmt(r.low) : `${fmt(r.low)}–${fmt(r.high)}`;
  const basis = `${fmt(r.matched)} of ${fmt(r.sampled)} sampled profiles match`;
  if (r.matched === 0)
    return `No sampled profile matches: between 0 and ${fmt(r.high)} of ${fmt(r.profiles)} profiles would be in this cohort (95 % interval; ${basis}). Check the event and property names.`;
  return `${range} of ${fmt(r.profiles)} profiles would be in this cohort (95 % interval; ${basis}, about ${fmt(r.estimate)}).`;
}

/** A behavioral cohort's fields always have a root node (a static cohort's may not). */
const withRoot = (fields: Fields): Fields =>
  fields["n.kind"] === undefined ? { ...fields, "n.kind": "group", "n.join": "all", "n.0.kind": "performed" } : fields;

export const cohortsUi: KindUi = {
  kind: "cohorts",
  title: "Cohorts",
  singular: "cohort",
  blurb: "Audiences kept current on every event and as time passes. Sizes update live.",
  template: { type: "behavioral", match: { all: [{ performed: { event: { type: "Product Added" }, window: { kind: "rolling", duration: { hours: 24 } } } }] } },
  needs: ["cohorts", "computations", "predictions", "catalog"],
  live: true,
  preview: {
    label: "Preview size",
    show: (result) => {
      const r = result as SizeEstimate & { warnings?: { path: string; message: string }[] };
      return (
        <div class="preview">
          <Alert kind={r.exact || r.matched > 0 ? "good" : "warn"}>
            <span id="size-preview" data-low={r.low} data-high={r.high} data-exact={r.exact ? "1" : "0"}>
              {estimateWords(r)} Not saved yet.
            </span>
          </Alert>
          <NameWarnings warnings={r.warnings} />
        </div>
      );
    },
  },
  columns: [
    { label: "Type", cell: (item) => <span class="badge">{String(item.definition.type)}</span> },
    {
      label: "Size",
      num: true,
      cell: (item) => (
        <span data-live-id={item.id} data-live-field="size">
          {fmt(item.size ?? 0)}
        </span>
      ),
    },
    {
      label: "7 days",
      num: true,
      cell: (item) => {
        const t = (item as { trend_7d?: { entered: number; exited: number } }).trend_7d;
        return t === undefined ? (
          "–"
        ) : (
          <span title="entered / exited in the last 7 days">
            +{fmt(t.entered)} / −{fmt(t.exited)}
          </span>
        );
      },
    },
  ],
  form: {
    toFields: (definition) => {
      const fields = cohortToFields(definition);
      return fields === null ? null : withRoot(fields);
    },
    blank: () => withRoot({ type: "behavioral" }),
    fromFields: cohortFromFields,
    edit: applyEdit,
    render: ({ fields, errors, refs, focus }) => (
      <div>
        <SelectField
          name="type"
          label="Cohort type"
          value={fields.type ?? "behavioral"}
          options={[
            ["behavioral", "behavioral (rules)"],
            ["static", "static (uploaded ids)"],
          ]}
          errors={errors}
          hint="A static cohort's members are uploaded; it ignores the rules below."
        />
        <CohortTree ctx={{ fields: withRoot(fields), errors, focus, vocabulary: refs.catalog }} refs={refs} />
      </div>
    ),
  },
  extras: cohortExtras,
  routes: (app) => {
    /** Static cohorts: members from an uploaded CSV or a pasted list, through the API. */
    app.post("/:id/members", async (c) => {
      const { api, project } = await projectPage(c, "cohorts");
      const f = await formFields(c);
      const idType = f.id_type === "device_id" ? "device_id" : "user_id";
      const text = (await formFile(c, "file")) ?? f.ids ?? "";
      const ids = idsFromCsv(text, idType);
      const base = `${projectPath(project, "/cohorts")}/${encodeURIComponent(c.req.param("id"))}`;
      if (ids.length === 0) return c.redirect(`${base}?upload_error=${encodeURIComponent("No ids found in the upload")}`, 303);
      const r = await api.send<{ applied: number; skipped_ids: string[]; error?: { message: string } }>(
        "POST",
        `/cohorts/${encodeURIComponent(c.req.param("id"))}/members`,
        {
          ids,
          id_type: idType,
          operation: f.operation === "remove" ? "remove" : "add",
        },
      );
      if (!r.ok) return c.redirect(`${base}?upload_error=${encodeURIComponent(r.json.error?.message ?? "Upload failed")}`, 303);
      return c.redirect(`${base}?applied=${r.json.applied}&skipped=${r.json.skipped_ids.length}`, 303);
    });
    /** A partial backfill's failed profiles, retried again through the API. */
    app.post("/:id/backfills/:backfill/resume", async (c) => {
      const { api, project } = await projectPage(c, "cohorts");
      const r = await api.send<{ error?: { message: string } }>("POST", `/backfills/${encodeURIComponent(c.req.param("backfill"))}/resume`);
      const base = `${projectPath(project, "/cohorts")}/${encodeURIComponent(c.req.param("id"))}`;
      return c.redirect(r.ok ? base : `${base}?backfill_error=${encodeURIComponent(r.json.error?.message ?? "Retry failed")}`, 303);
    });
  },
};

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

async function cohortExtras({ c, api, project, apiBase, item, ctx }: DetailArgs) {
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
