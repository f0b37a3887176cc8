import { Hono } from "hono";
import type { UiEnv } from "../auth";
import { SelectField, TextField } from "../fields";
import { fmt, Layout, projectPath, when } from "../layout";
import { projectPage, type Item } from "../page";
import type { ItemDetail } from "../../../core/recommendations/item-label";
import { recentItems } from "../../../core/recommendations/item-label";
import type { JsonObject } from "../../../core/json";
import { recommendationSchema } from "../../../core/recommendations/schema";
import { ItemList, ItemName } from "../items";
import { propertyText } from "../event-values";

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
  recommendations?: { rec_id: string; items: string[]; is_control: boolean; recommendation_source: string; item_details?: ItemDetail[] }[];
  events: { event_type: string; time: number; event_properties?: JsonObject; insert_id?: string }[];
}

interface Match {
  user_id: string | null;
  device_id: string | null;
  event_count: number;
  last_seen: number;
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** The items the user's recent events took, per recommendation (its item event and property), named from the events. */
function RecentItems(props: { events: Lookup["events"]; recommendations: Item[] }) {
  const lists = props.recommendations
    .map((rec) => {
      const parsed = recommendationSchema.safeParse(rec.definition);
      if (!parsed.success) return null;
      const { item, label_property } = parsed.data;
      const items = recentItems(props.events, { eventType: item.event.type, property: item.property, labelProperty: label_property });
      return items.length === 0 ? null : { rec, items };
    })
    .filter((l) => l !== null);
  if (lists.length === 0) return null;
  return (
    <>
      <h2>Recent items</h2>
      {lists.map(({ rec, items }) => (
        <div class="panel" data-rec={rec.id}>
          <p class="muted">
            {rec.name}: the items of its recent {JSON.stringify((rec.definition as { item?: { event?: { type?: string } } }).item?.event?.type)} events, newest
            first
          </p>
          <ul class="items">
            {items.map((i) => (
              <li>
                <ItemName id={i.id} label={i.label} /> <span class="muted">{when(i.time)}</span>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </>
  );
}

/** A profile by user_id or device_id: properties, computed values, cohorts, scores, recent events. */
export const usersPage = new Hono<UiEnv>();

usersPage.get("/", async (c) => {
  const { api, ctx, project } = await projectPage(c, "users");
  const idType = c.req.query("id_type") === "device_id" ? "device_id" : "user_id";
  const id = (c.req.query("id") ?? "").trim();
  let result: Lookup | undefined;
  let error: string | undefined;
  const names = new Map<string, string>();
  let recDefinitions: Item[] = [];
  let matches: Match[] = [];
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
    recDefinitions = recommendations.json.recommendations ?? [];
    if (r.ok) result = r.json;
    else error = r.status === 404 ? `No profile with ${idType} ${id}` : (r.json.error?.message ?? "Lookup failed");
    if (r.status === 404) {
      const found = await api.get<{ matches: Match[] }>(`/users/search?q=${encodeURIComponent(id)}&limit=20`);
      matches = found.ok ? found.json.matches : [];
    }
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
      {matches.length === 0 ? null : (
        <div class="panel" id="user-matches">
          <p class="muted">Profiles whose id starts with “{id}”:</p>
          <ul>
            {matches.map((m) => {
              const [type, value] = m.user_id !== null ? ["user_id", m.user_id] : ["device_id", m.device_id ?? ""];
              return (
                <li>
                  <a href={`${projectPath(project, "/users")}?id_type=${type}&id=${encodeURIComponent(value)}`}>{value}</a>{" "}
                  <span class="muted">
                    {type}, {fmt(m.event_count)} events, last seen {when(m.last_seen)}
                  </span>
                </li>
              );
            })}
          </ul>
        </div>
      )}
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
                        <td>{r.items.length === 0 ? <span class="muted">none</span> : <ItemList ids={r.items} details={r.item_details} />}</td>
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
          <RecentItems events={result.events} recommendations={recDefinitions} />
          <h2>Recent events</h2>
          <table id="user-events">
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
                  <td class="nowrap">{e.event_type}</td>
                  <td>
                    <span class="props">
                      {Object.entries(e.event_properties ?? {}).map(([k, v]) => (
                        <span>
                          <span class="muted">{k}</span> {propertyText(k, v, e.event_properties ?? {})}
                        </span>
                      ))}
                    </span>
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
