import { Hono } from "hono";
import type { GlobalControl, ProjectSettings } from "../../../core/project";
import type { ApiResult } from "../api";
import type { UiEnv } from "../auth";
import { TextField } from "../fields";
import { errorDetails } from "../forms";
import { Alert, Layout, PostForm, projectPath } from "../layout";
import { liftSentences, percent } from "../lift-words";
import { formFields, projectPage, type Item, type UiContext } from "../page";
import { PerformancePanel, type PerformanceView } from "../performance";

/**
 * What personalization is worth: the project's global control group against everyone
 * else, then each recommendation's treatment against its control share, in words.
 */
export const performancePage = new Hono<UiEnv>();

async function render(c: UiContext, notice?: { kind: "good" | "warn"; text: string }) {
  const { api, ctx, project } = await projectPage(c, "performance");
  const [global, recs, syncList] = await Promise.all([
    api.get<PerformanceView & { global_control: GlobalControl }>("/performance"),
    api.get<{ recommendations: Item[] }>("/recommendations"),
    api.get<{ syncs: Item[] }>("/syncs"),
  ]);
  const items = recs.ok ? recs.json.recommendations : [];
  const measuredSyncs = (syncList.ok ? syncList.json.syncs : []).filter((s) => ((s.definition.holdout as { percent?: number } | undefined)?.percent ?? 0) > 0);
  const [lifts, syncLifts] = await Promise.all([
    Promise.all(items.map((r) => api.get<PerformanceView>(`/recommendations/${encodeURIComponent(r.id)}/performance`))),
    Promise.all(measuredSyncs.map((s) => api.get<Omit<PerformanceView, "control_percent">>(`/syncs/${encodeURIComponent(s.id)}/performance`))),
  ]);
  const g = global.ok ? global.json.global_control : undefined;
  return c.html(
    <Layout ctx={ctx} title="Performance">
      <h1>Performance</h1>
      {notice === undefined ? null : <Alert kind={notice.kind}>{notice.text}</Alert>}
      <h2>Global control group</h2>
      <p class="muted">
        A stable share of users gets no personalization at all (no recommendations, no public cohorts or values) and is never sent to a sync. Their conversions
        against everyone else's show what personalization as a whole is worth.
      </p>
      {global.ok && g !== undefined && g.percent > 0 && g.goal !== undefined ? (
        <PerformancePanel
          view={{
            ...global.json,
            control_percent: g.percent,
            attribution: { days: g.attribution_days, on_recommended_item: false, value_property: g.value_property },
          }}
          subject="personalization"
        />
      ) : (
        <div class="panel">No global control group yet: set a share and a goal below.</div>
      )}
      <h3>Set up the group</h3>
      <PostForm action={projectPath(project, "/performance/global")} csrf={ctx.csrf}>
        <div class="row">
          <TextField name="percent" label="Share held out (%)" type="number" value={String(g?.percent ?? 0)} hint="0–50; 0 turns the group off" />
          <TextField name="goal" label="Goal event" value={g?.goal?.event.type ?? ""} placeholder="Order Completed" />
          <TextField name="days" label="Counts for (days)" type="number" value={String(g?.attribution_days ?? 7)} />
          <TextField name="value_property" label="Value property" value={g?.value_property ?? "revenue"} />
        </div>
        <button type="submit">Save</button>
      </PostForm>
      <h2>Recommendations</h2>
      {items.length === 0 ? (
        <div class="panel">No recommendations yet.</div>
      ) : (
        <LiftTable
          id="rec-lifts"
          what="Recommendation"
          rows={items.map((r, i) => ({
            name: r.name,
            href: projectPath(project, `/recommendations/${r.id}`),
            lift: lifts[i]!,
            percent: lifts[i]!.ok ? lifts[i]!.json.control_percent : 0,
            subject: undefined,
          }))}
        />
      )}
      <h2>Syncs with a holdout</h2>
      {measuredSyncs.length === 0 ? (
        <div class="panel">No sync holds members out yet: give a sync a holdout share and a goal on its page to measure what sending it is worth.</div>
      ) : (
        <LiftTable
          id="sync-lifts"
          what="Sync"
          rows={measuredSyncs.map((s, i) => ({
            name: s.name,
            href: projectPath(project, `/syncs/${s.id}`),
            lift: syncLifts[i]!,
            percent: (s.definition.holdout as { percent: number }).percent,
            subject: "this sync's audience",
          }))}
        />
      )}
    </Layout>,
  );
}

interface LiftRow {
  name: string;
  href: string;
  lift: ApiResult<Pick<PerformanceView, "report">>;
  percent: number;
  subject: string | undefined;
}

/** One line per measured thing: its control share, both groups' rates and the reading in words. */
function LiftTable(props: { id: string; what: string; rows: LiftRow[] }) {
  const rate = (a: PerformanceView["report"]["treatment"] | undefined) => (a === undefined || a.users === 0 ? "–" : percent(a.rate.estimate));
  return (
    <table id={props.id}>
      <thead>
        <tr>
          <th>{props.what}</th>
          <th class="num">Control share</th>
          <th class="num">Treatment</th>
          <th class="num">Control</th>
          <th>Reading</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => {
          const report = r.lift.ok ? r.lift.json.report : undefined;
          return (
            <tr>
              <td>
                <a href={r.href}>{r.name}</a>
              </td>
              <td class="num">{report === undefined ? "–" : `${r.percent} %`}</td>
              <td class="num">{rate(report?.treatment)}</td>
              <td class="num">{rate(report?.control)}</td>
              <td>{report === undefined ? errorDetails(r.lift.json).message : liftSentences(report, r.percent, r.subject)[0]}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

performancePage.get("/", (c) =>
  render(c, c.req.query("saved") === undefined ? undefined : { kind: "good", text: "Saved: answers follow the new group within a few seconds." }),
);

/** Saves the global control group into the project settings (the rest of the settings unchanged). */
performancePage.post("/global", async (c) => {
  const { api, project } = await projectPage(c, "performance");
  const f = await formFields(c);
  const current = await api.get<ProjectSettings>("/settings");
  if (!current.ok) return render(c, { kind: "warn", text: errorDetails(current.json).message });
  const goal = (f.goal ?? "").trim();
  const global_control = {
    percent: Number(f.percent),
    attribution_days: Number(f.days),
    value_property: (f.value_property ?? "").trim() || "revenue",
    ...(goal === "" ? {} : { goal: { event: { type: goal } } }),
  };
  const r = await api.send("PUT", "/settings", { ...current.json, global_control });
  return r.ok ? c.redirect(`${projectPath(project, "/performance")}?saved=1`, 303) : render(c, { kind: "warn", text: errorDetails(r.json).message });
});
