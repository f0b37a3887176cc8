/**
 * The personalization client pages load from the Worker (`/v1/tailor.js`, a script that
 * defines `window.tailor`; `/v1/tailor.mjs`, the same as an ES module): dependency-free
 * browser JavaScript, kept here as text because it runs in browsers, not in the Worker.
 *
 *   const t = tailor.create({ apiKey, host });        // ids found where the page's SDK keeps them
 *   const answer = await t.personalize();             // cohorts, computations, recommendations
 *   answer.recommendations[0].items …; await t.shown(); // report the exposure once it is shown
 *
 * It finds the visitor the way the analytics SDK on the page stores it (Amplitude's
 * AMP_ cookie, PostHog's ph_<key>_posthog, Segment's ajs_*, RudderStack's rl_*), reads
 * `/v1/personalize` with `exposure=false` (nothing is measured until `shown()`), keeps
 * the answer and its ETag in sessionStorage and revalidates with If-None-Match.
 */
const BODY = `
const read = (get) => { try { return get(); } catch { return undefined; } };
const local = (k) => read(() => localStorage.getItem(k)) ?? undefined;
const cookie = (name) => read(() => { const c = document.cookie.split("; ").find((c) => c.startsWith(name + "=")); return c === undefined ? undefined : decodeURIComponent(c.slice(name.length + 1)); });
const unquote = (v) => { if (v == null || v === "") return undefined; if (v.startsWith("RS_ENC_v3_")) v = read(() => atob(v.slice(10))) ?? v; try { const j = JSON.parse(v); return typeof j === "string" ? j : v; } catch { return v; } };

/** The visitor as the page's analytics SDK knows it: a user id once identified, else its anonymous device id. */
export function findVisitor(apiKey) {
  const amp = cookie("AMP_" + apiKey.slice(0, 10));
  if (amp) {
    const s = read(() => JSON.parse(decodeURIComponent(atob(decodeURIComponent(amp)))));
    if (s && (s.userId || s.deviceId)) return { userId: s.userId || undefined, deviceId: s.deviceId || undefined };
  }
  const ph = read(() => JSON.parse(local("ph_" + apiKey + "_posthog")));
  if (ph && ph.distinct_id) return ph.$user_state === "identified" ? { userId: ph.distinct_id, deviceId: ph.$device_id } : { deviceId: ph.$device_id || ph.distinct_id };
  const seg = { userId: unquote(local("ajs_user_id") ?? cookie("ajs_user_id")), deviceId: unquote(local("ajs_anonymous_id") ?? cookie("ajs_anonymous_id")) };
  if (seg.userId || seg.deviceId) return seg;
  const rl = { userId: unquote(local("rl_user_id") ?? cookie("rl_user_id")), deviceId: unquote(local("rl_anonymous_id") ?? cookie("rl_anonymous_id")) };
  if (rl.userId || rl.deviceId) return rl;
  return {};
}

export function create(options) {
  const host = (options.host || "").replace(/\\/$/, "");
  const who = () => {
    const v = options.userId || options.deviceId ? { userId: options.userId, deviceId: options.deviceId } : findVisitor(options.apiKey);
    return v.userId ? { user_id: v.userId, ...(options.userHash ? { user_hash: options.userHash } : {}) } : v.deviceId ? { device_id: v.deviceId } : null;
  };
  const url = (visitor, exposure) => host + "/v1/personalize?" + new URLSearchParams({ api_key: options.apiKey, ...visitor, exposure: String(exposure) });
  const cacheKey = (visitor) => "tailor:" + JSON.stringify(visitor);
  let last = null;
  async function fetchAnswer(visitor, exposure) {
    const kept = read(() => JSON.parse(sessionStorage.getItem(cacheKey(visitor))));
    const res = await fetch(url(visitor, exposure), { headers: kept && kept.etag ? { "If-None-Match": kept.etag } : {}, credentials: "omit" });
    if (res.status === 304 && kept) return kept.answer;
    if (!res.ok) throw new Error("tailor: /v1/personalize answered " + res.status);
    const answer = await res.json();
    const etag = res.headers.get("ETag");
    read(() => sessionStorage.setItem(cacheKey(visitor), JSON.stringify({ etag, answer })));
    return answer;
  }
  return {
    visitor: who,
    /** Reads this visitor's personalization (not yet counted as shown). */
    async personalize() {
      const visitor = who();
      if (visitor === null) return (last = { cohorts: {}, computations: {}, recommendations: [] });
      return (last = await fetchAnswer(visitor, false));
    },
    /** Reports that the answer was shown: the visitor's exposure (lift, served quality). */
    async shown() {
      const visitor = who();
      if (visitor !== null) last = await fetchAnswer(visitor, true);
      return last;
    },
    inCohort: (id) => (last && last.cohorts[id]) === true,
    value: (id) => (last ? last.computations[id] : undefined),
    items: (recId) => ((last && last.recommendations.find((r) => r.rec_id === recId)) || { items: [] }).items,
  };
}
`;

/** The client as an ES module. */
export const CLIENT_MODULE = BODY.trim();

/** The client as a classic script: the same code, exposed as `window.tailor`. */
export const CLIENT_SCRIPT = `(() => {\n${BODY.replace(/^export /gm, "")}\nwindow.tailor = { create, findVisitor };\n})();`;
