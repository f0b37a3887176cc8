// bench/sync: users/second a cohort sync delivers to a local webhook, for a cohort of
// --members (100,000) whose first run sends the full membership, in batches of 1,000,
// signed. The change log is written straight into the local D1 to isolate delivery.
//   node bench/sync.mjs [--members 100000]
import { createServer } from "node:http";
import { cpus } from "node:os";
import { adminCall, option, wrangler } from "../scripts/lib/local.mjs";
import { startLocalWorker } from "../scripts/lib/worker.mjs";
import { fmt, table } from "./lib.mjs";

const members = Number(option(process.argv.slice(2), "members", "100000"));
let users = 0;
let requests = 0;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    users += JSON.parse(body).users.length;
    requests++;
    res.end("ok");
  });
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const hook = `http://127.0.0.1:${server.address().port}/hook`;

const worker = await startLocalWorker();
try {
  await worker.createProject("bench");
  const call = (method, path, body) => adminCall(worker.url, worker.adminToken, method, path, body).then((r) => r.json);
  const cohort = await call("POST", "/projects/bench/cohorts", {
    name: "Everyone",
    definition: { type: "behavioral", match: { performed: { event: { type: "*" } } } },
  });
  // The change log of a cohort that `members` profiles entered.
  const sql = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${members})
    INSERT INTO membership_changes (project_id, cohort_id, profile_key, in_cohort, changed_at) SELECT 'bench', '${cohort.id}', 'u:member-' || i, 1, 1 FROM n;`;
  const write = wrangler(["d1", "execute", "DB", "--local", "--persist-to", worker.persistTo, "--command", sql], { stdio: "ignore", env: { CI: "true" } });
  if ((await write.exited) !== 0) throw new Error("could not write the change log");
  const dest = await call("POST", "/projects/bench/destinations", { name: "Local hook", definition: { type: "webhook", url: hook } });
  const sync = await call("POST", "/projects/bench/syncs", {
    name: "Everyone → hook",
    definition: { destination_id: dest.id, what: { kind: "cohort", cohort_id: cohort.id }, schedule: "manual", batch_size: 1000 },
  });
  const t0 = performance.now();
  const run = await call("POST", `/projects/bench/syncs/${sync.id}/run`);
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== "succeeded" || users !== members) throw new Error(`run ${run.status}: ${users}/${members} delivered (${run.last_error})`);
  console.log(
    `\nbench/sync — ${cpus().length} cores, the local server (workerd via Miniflare), first run of a ${members.toLocaleString()}-member cohort to a local webhook\n`,
  );
  console.log(
    table(
      ["members", "requests (batch 1,000, signed)", "seconds", "users/s"],
      [[members.toLocaleString(), String(requests), fmt(seconds, 2), fmt(members / seconds)]],
    ),
  );
} finally {
  await worker.stop();
  server.close();
}
