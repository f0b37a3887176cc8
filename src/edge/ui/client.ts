/**
 * The admin UI's only client script (inline, no build step): live numbers, the project
 * picker, confirmations, and `tailorApi` — fetch to /admin/api with the session's CSRF
 * token — for anything a page wants to call from the browser.
 */
export const CLIENT_SCRIPT = `
(() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
  window.tailorApi = (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (init.method && init.method !== "GET") headers.set("x-csrf-token", csrf);
    if (init.body && !headers.has("content-type")) headers.set("content-type", "application/json");
    return fetch("/admin/api" + path, { ...init, headers, credentials: "same-origin" });
  };
  const fmt = (v) => typeof v === "number" ? v.toLocaleString("en-US") : String(v ?? "–");
  async function refresh() {
    for (const el of document.querySelectorAll("[data-live-url]")) {
      try {
        const res = await fetch(el.dataset.liveUrl, { credentials: "same-origin" });
        if (!res.ok) continue;
        const json = await res.json();
        const rows = el.dataset.liveList ? json[el.dataset.liveList] : null;
        const targets = el.matches("[data-live-field]") ? [el] : el.querySelectorAll("[data-live-field]");
        for (const t of targets) {
          const row = rows ? rows.find((r) => r.id === t.dataset.liveId) : json;
          if (!row || !(t.dataset.liveField in row)) continue;
          // A job's table that shows more than its live cells (file links, failures) reloads when one changes.
          if ("liveReload" in el.dataset && t.textContent.trim() !== fmt(row[t.dataset.liveField])) return location.reload();
          t.textContent = fmt(row[t.dataset.liveField]);
        }
      } catch {}
    }
  }
  if (document.querySelector("[data-live-url]")) setInterval(refresh, 3000);
  for (const s of document.querySelectorAll("select[data-autosubmit]")) s.addEventListener("change", () => s.form.submit());
  // Structured editors: a select that changes which fields there are re-renders the form
  // at once (without script, its "Update form" button does), then focuses that select again.
  for (const b of document.querySelectorAll("[data-refresh-button]")) b.style.display = "none";
  for (const s of document.querySelectorAll("select[data-refresh]")) s.addEventListener("change", () => {
    const b = s.form.querySelector("[data-refresh-button]");
    b.value = "edit:refresh " + s.name;
    s.form.requestSubmit(b);
  });
  // Editors with a preview (a cohort's size) re-estimate as the definition is edited: the
  // form is posted as its preview button would, and the answer's notice is shown in place.
  for (const f of document.querySelectorAll("form[data-live-preview]")) {
    const slot = f.querySelector("[data-preview-slot]");
    if (!slot) continue;
    let timer, asked = 0;
    const estimate = async () => {
      const mine = ++asked;
      const body = new URLSearchParams(new FormData(f));
      body.set("mode", f.dataset.livePreview);
      try {
        const res = await fetch(f.getAttribute("action") || location.href, { method: "POST", body, credentials: "same-origin" });
        const page = new DOMParser().parseFromString(await res.text(), "text/html");
        if (mine !== asked) return; // a later edit's estimate is on its way
        const notice = page.querySelector("#size-preview")?.closest(".preview");
        slot.replaceChildren(notice ? document.importNode(notice, true) : Object.assign(document.createElement("p"), { className: "muted", textContent: "No estimate until the definition is complete (Preview size names what is missing)." }));
      } catch {}
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(estimate, 700); };
    f.addEventListener("input", later);
    f.addEventListener("change", later);
  }
  for (const f of document.querySelectorAll("form[data-confirm]")) f.addEventListener("submit", (e) => { if (!confirm(f.dataset.confirm)) e.preventDefault(); });
})();
`;
