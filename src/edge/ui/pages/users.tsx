import { Hono } from "hono";
import type { UiEnv } from "../auth";
import { SelectField, TextField } from "../fields";
import { fmt, Layout, projectPath, when } from "../layout";
import { projectPage, type Item } from "../page";

interface Lookup {
  profile: {
    user_id: string | null;
    device_id: string | null;
    device_ids: string[];
    user_properties: Record<string, unknown>;
    event_count: number;
    first_seen: number | null;
    last_seen: number | null;
  };
  segments: { cohort_ids: string[]; computations: Record<string, unknown> } | null;
  scores?: Record<string, { score: number; pct: number; at: number }>;
  recommendations?: { rec_id: string; items: string[]; is_control: boolean; recommendation_source: string }[];
  events: { event_type: string; time: number; event_properties?: Record<string, unknown>; insert_id?: string }[];
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** A profile by user_id or device_id: properties, computed values, cohorts, scores, recent events. */
export const usersPage = new Hono<UiEnv>();

usersPage.get("/", async (c) => {
  const { api, ctx, project } = await projectPage(c, "users");
  const idType = c.req.query("id_type") === "device_id" ? "device_id" : "user_id";
  const id = (c.req.query("id") ?? "").trim();
  let result: Lookup | undefined;
  let error: string | undefined;
  const names = new Map<string, string>();
  if (id !== "") {
    const [r, cohorts, computations, predictions, recommendations] = await Promise.all([
      api.get<Lookup & { error?: { message: string } }>(`/users?${idType}=${encodeURIComponent(id)}&events=25`),
      api.get<{ cohorts: Item[] }>(`/cohorts`),
      api.get<{ computations: Item[] }>(`/computations`),
      api.get<{ predictions: Item[] }>(`/predictions`),
      api.get<{ recommendations: Item[] }>(`/recommendations`),
    ]);
    const named = [cohorts.json.cohorts, computations.json.computations, predictions.json.predictions, recommendations.json.recommendations];
    for (const item of named.flatMap((list) => list ?? [])) names.set(item.id, item.name);
    if (r.ok) result = r.json;
    else error = r.status === 404 ? `No profile with ${idType} ${id}` : (r.json.error?.message ?? "Lookup failed");
  }
  const label = (itemId: string) => names.get(itemId) ?? itemId;
  const props = result === undefined ? [] : Object.entries(result.profile.user_properties).filter(([k]) => !k.startsWith("computed-prop-"));
  return c.html(
    <Layout ctx={ctx} title="User lookup">
      <h1>User lookup</h1>
      <form method="get" action={projectPath(project, "/users")} class="panel row">
        <SelectField
          name="id_type"
          label="By"
          value={idType}
          options={[
            ["user_id", "user_id"],
            ["device_id", "device_id"],
          ]}
        />
        <TextField name="id" label="Id" value={id} errors={error === undefined ? undefined : { id: error }} required />
        <button type="submit">Look up</button>
      </form>
      {result === undefined ? null : (
        <div id="profile">
          <div class="panel stats">
            <div>
              <span>user_id</span>
              {result.profile.user_id ?? "–"}
            </div>
            <div>
              <span>devices</span>
              {result.profile.device_ids.join(", ") || "–"}
            </div>
            <div>
              <span>events</span>
              {fmt(result.profile.event_count)}
            </div>
            <div>
              <span>first seen</span>
              {when(result.profile.first_seen)}
            </div>
            <div>
              <span>last seen</span>
              {when(result.profile.last_seen)}
            </div>
          </div>
          <div class="charts">
            <div>
              <h2>Cohorts</h2>
              {(result.segments?.cohort_ids ?? []).length === 0 ? (
                <p class="muted">In no cohort.</p>
              ) : (
                <ul>
                  {result.segments!.cohort_ids.map((cid) => (
                    <li>
                      <a href={`${projectPath(project, "/cohorts")}/${cid}`}>{label(cid)}</a>
                    </li>
                  ))}
                </ul>
              )}
              <h2>Scores</h2>
              {Object.keys(result.scores ?? {}).length === 0 ? (
                <p class="muted">No prediction scores.</p>
              ) : (
                <table>
                  <tbody>
                    {Object.entries(result.scores ?? {}).map(([pid, s]) => (
                      <tr>
                        <td>{label(pid)}</td>
                        <td class="num">{s.score.toFixed(3)}</td>
                        <td class="num">{s.pct} pct</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <h2>Recommendations</h2>
              {(result.recommendations ?? []).length === 0 ? (
                <p class="muted">No recommendations defined.</p>
              ) : (
                <table id="user-recs">
                  <tbody>
                    {(result.recommendations ?? []).map((r) => (
                      <tr>
                        <td>{label(r.rec_id)}</td>
                        <td>{r.items.length === 0 ? <span class="muted">none</span> : r.items.map((i) => <code>{i} </code>)}</td>
                        <td class="muted">
                          {r.recommendation_source}
                          {r.is_control ? " (control)" : ""}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <div>
              <h2>Computed properties</h2>
              <table>
                <tbody>
                  {Object.entries(result.segments?.computations ?? {}).map(([cid, v]) => (
                    <tr>
                      <td>{label(cid)}</td>
                      <td class="num">{show(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <h2>User properties</h2>
          {props.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table>
              <tbody>
                {props.map(([k, v]) => (
                  <tr>
                    <td>{k}</td>
                    <td>{show(v)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Recent events</h2>
          <table>
            <thead>
              <tr>
                <th>Time</th>
                <th>Event</th>
                <th>Properties</th>
              </tr>
            </thead>
            <tbody>
              {result.events.map((e) => (
                <tr>
                  <td class="muted nowrap">{when(e.time)}</td>
                  <td>{e.event_type}</td>
                  <td>
                    <code>{JSON.stringify(e.event_properties ?? {})}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {id === "" ? <p class="muted">Enter a user_id or device_id to see its profile.</p> : null}
    </Layout>,
  );
});
