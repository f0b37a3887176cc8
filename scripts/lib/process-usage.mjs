// What a local server's process tree holds, read from /proc: resident memory, and the
// UserProfile objects in memory (a profile's SQLite database is open exactly while its
// Durable Object is resident). Benchmarks sample it; the eviction test waits on it.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** `pid` and every process under it (the server and its workerd), from /proc. */
function processTree(pid) {
  const children = new Map();
  const rss = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the parenthesised command: state, ppid, …; rss (pages) is field 24.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(fields[1]);
      rss.set(Number(name), { rss: Number(fields[21]) * 4096, command: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) });
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited while listed
    }
  }
  const tree = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop();
    tree.push({ pid: p, rss: rss.get(p)?.rss ?? 0, command: rss.get(p)?.command ?? "?" });
    stack.push(...(children.get(p) ?? []));
  }
  return tree;
}

/**
 * Resident memory (bytes) of the tree, the largest process's alone (the runtime holding
 * the profiles), and its open profile databases: the UserProfile objects in memory.
 */
export function treeUsage(pid) {
  let rss = 0;
  let largest = 0;
  let profiles = 0;
  for (const p of processTree(pid)) {
    rss += p.rss;
    largest = Math.max(largest, p.rss);
    try {
      for (const fd of readdirSync(`/proc/${p.pid}/fd`)) {
        try {
          if (/UserProfile\/[0-9a-f]+\.sqlite$/.test(readlinkSync(`/proc/${p.pid}/fd/${fd}`))) profiles++;
        } catch {
          // closed while listed
        }
      }
    } catch {
      // exited, or not ours to read
    }
  }
  return { rss, largest, profiles };
}
