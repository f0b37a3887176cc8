import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The boundaries the README's Layout section promises, read from the source itself:
// every relative runtime import (type-only imports erase at build time) of src/.
const ROOT = resolve(__dirname, "..");
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mjs)$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const RUNTIME_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']/gm;
function resolveImport(from: string, spec: string): string {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return base;
}

const graph = new Map<string, string[]>();
for (const file of sourceFiles(SRC)) {
  const text = readFileSync(file, "utf8");
  graph.set(
    file,
    [...text.matchAll(RUNTIME_IMPORT)]
      .map((m) => m[1]!)
      .filter((spec) => spec.startsWith("."))
      .map((spec) => resolveImport(file, spec)),
  );
}
const rel = (f: string) => relative(ROOT, f);
const importsOf = (prefix: string) => [...graph].filter(([f]) => rel(f).startsWith(prefix)).flatMap(([f, deps]) => deps.map((d) => [rel(f), rel(d)] as const));

/** Strongly connected components with more than one module (Tarjan), or a module importing itself. */
function cycles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(rel(w));
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

describe("the source layout", () => {
  it("has no import cycles", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles()).toEqual([]);
  });

  it("src/core imports nothing outside itself, and nothing of the runtime (unit-tested in plain Node)", () => {
    expect(importsOf("src/core/").filter(([, to]) => !to.startsWith("src/core/"))).toEqual([]);
    const runtime = [...graph.keys()].filter(
      (f) => rel(f).startsWith("src/core/") && /from\s+["'](cloudflare:|drizzle-orm|onnxruntime)/.test(readFileSync(f, "utf8")),
    );
    expect(runtime.map(rel)).toEqual([]);
  });

  it("the Worker reaches the Durable Objects only through their stub (and index.ts, which exports the classes)", () => {
    const allowed = new Set(["src/durable/stub.ts", "src/durable/rpc.ts"]);
    const crossing = importsOf("src/edge/").filter(([from, to]) => to.startsWith("src/durable/") && !allowed.has(to) && from !== "src/edge/index.ts");
    expect(crossing).toEqual([]);
  });

  it("the trainer imports nothing from scripts/, the Worker or the Durable Objects", () => {
    expect(importsOf("src/train/").filter(([, to]) => !to.startsWith("src/train/") && !to.startsWith("src/core/"))).toEqual([]);
  });
});
