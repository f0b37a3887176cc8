import { mulberry32 } from "../../core/hash";
import { sigmoid } from "./logistic-regression";

/**
 * Gradient-boosted decision trees for a binary label (log loss, Newton leaves), grown
 * level by level on per-feature histograms of quantile bins. Features are rounded to
 * float32 and thresholds are float32 values, so the ONNX TreeEnsembleRegressor the edge
 * runs takes exactly the same branches as the trainer.
 */
export interface GbdtOptions {
  trees: number;
  depth: number;
  learningRate: number;
  /** Fewest training rows a leaf may hold. */
  minLeaf: number;
  /** L2 penalty on leaf values. */
  l2: number;
  /** Quantile bins per feature (split candidates). */
  bins: number;
  /** Each tree grows on at most this many rows, drawn afresh per tree (stochastic boosting): cost stays flat as data grows. */
  maxRowsPerTree: number;
}

/** One tree as flat node arrays (ONNX's layout); a leaf has feature -1. */
export interface Tree {
  feature: number[];
  /** Go to `left` when x[feature] <= threshold (BRANCH_LEQ). */
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf values (learning rate applied). */
  value: number[];
}

export interface FittedGbdt {
  /** The prior log-odds every margin starts from. */
  base: number;
  trees: Tree[];
  /** Total split gain per feature, for importance. */
  gain: number[];
}

export const GBDT_DEFAULTS: GbdtOptions = { trees: 200, depth: 3, learningRate: 0.05, minLeaf: 40, l2: 1, bins: 64, maxRowsPerTree: 100_000 };

const f32 = Math.fround;

/** Per feature: sorted distinct float32 cut values (candidate thresholds), at most `bins`. */
function cutPoints(x: readonly (readonly number[])[], bins: number): number[][] {
  const f = x[0]?.length ?? 0;
  const cuts: number[][] = [];
  for (let j = 0; j < f; j++) {
    const values = x.map((row) => f32(row[j]!)).sort((a, b) => a - b);
    const out: number[] = [];
    for (let b = 1; b < bins; b++) {
      const v = values[Math.floor((b * (values.length - 1)) / bins)]!;
      if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
    }
    // The largest value never splits anything off: drop it.
    while (out.length > 0 && out[out.length - 1]! >= values[values.length - 1]!) out.pop();
    cuts.push(out);
  }
  return cuts;
}

/** Bin index of each value: the first cut it does not exceed (cuts.length when above all). */
function binOf(cuts: readonly number[], v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function fitGbdt(x: readonly (readonly number[])[], y: readonly number[], options: Partial<GbdtOptions> = {}): FittedGbdt {
  const o = { ...GBDT_DEFAULTS, ...options };
  const n = x.length;
  const f = x[0]?.length ?? 0;
  const cuts = cutPoints(x, o.bins);
  // Binned features, column-major: bins[j][i].
  const binned = cuts.map((c, j) => Uint8Array.from(x, (row) => binOf(c, f32(row[j]!))));
  const rate = y.reduce((a, b) => a + b, 0) / n;
  const base = Math.log(Math.max(1e-6, rate) / Math.max(1e-6, 1 - rate));
  const margin = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const gain = new Array<number>(f).fill(0);
  const trees: Tree[] = [];
  const draw = mulberry32(17);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!);
      g[i] = p - y[i]!;
      h[i] = Math.max(p * (1 - p), 1e-12);
    }
    const rows = n <= o.maxRowsPerTree ? all : sampleRows(n, o.maxRowsPerTree, draw);
    const tree = growTree(binned, cuts, g, h, o, gain, rows);
    trees.push(tree);
    for (let i = 0; i < n; i++) margin[i]! += leafOf(tree, (j) => f32(x[i]![j]!)).value;
  }
  return { base, trees, gain };
}

interface Grow {
  rows: Int32Array;
  node: number;
  depth: number;
}

/** `k` distinct row indices of `n`, in order (a partial Fisher–Yates shuffle). */
function sampleRows(n: number, k: number, draw: () => number): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + (draw() % (n - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k).sort();
}

function growTree(
  binned: readonly Uint8Array[],
  cuts: readonly number[][],
  g: Float64Array,
  h: Float64Array,
  o: GbdtOptions,
  gain: number[],
  all: Int32Array,
): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const addNode = () => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    return tree.feature.length - 1;
  };
  const queue: Grow[] = [{ rows: all, node: addNode(), depth: 0 }];
  while (queue.length > 0) {
    const { rows, node, depth } = queue.shift()!;
    let G = 0;
    let H = 0;
    for (const i of rows) {
      G += g[i]!;
      H += h[i]!;
    }
    tree.value[node] = (-G / (H + o.l2)) * o.learningRate;
    if (depth >= o.depth || rows.length < 2 * o.minLeaf) continue;
    const split = bestSplit(binned, cuts, g, h, rows, G, H, o);
    if (split === null) continue;
    const left: number[] = [];
    const right: number[] = [];
    const col = binned[split.feature]!;
    for (const i of rows) (col[i]! <= split.bin ? left : right).push(i);
    gain[split.feature]! += split.gain;
    tree.feature[node] = split.feature;
    tree.threshold[node] = cuts[split.feature]![split.bin]!;
    tree.left[node] = addNode();
    tree.right[node] = addNode();
    queue.push(
      { rows: Int32Array.from(left), node: tree.left[node]!, depth: depth + 1 },
      { rows: Int32Array.from(right), node: tree.right[node]!, depth: depth + 1 },
    );
  }
  return tree;
}

function bestSplit(
  binned: readonly Uint8Array[],
  cuts: readonly number[][],
  g: Float64Array,
  h: Float64Array,
  rows: Int32Array,
  G: number,
  H: number,
  o: GbdtOptions,
): { feature: number; bin: number; gain: number } | null {
  const parent = (G * G) / (H + o.l2);
  let best: { feature: number; bin: number; gain: number } | null = null;
  for (let j = 0; j < binned.length; j++) {
    const k = cuts[j]!.length;
    if (k === 0) continue;
    const col = binned[j]!;
    const hg = new Float64Array(k + 1);
    const hh = new Float64Array(k + 1);
    const hc = new Int32Array(k + 1);
    for (const i of rows) {
      const b = col[i]!;
      hg[b]! += g[i]!;
      hh[b]! += h[i]!;
      hc[b]!++;
    }
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < k; b++) {
      gl += hg[b]!;
      hl += hh[b]!;
      cl += hc[b]!;
      const cr = rows.length - cl;
      if (cl < o.minLeaf || cr < o.minLeaf) continue;
      const gr = G - gl;
      const hr = H - hl;
      const score = (gl * gl) / (hl + o.l2) + (gr * gr) / (hr + o.l2) - parent;
      if (score > 1e-9 && (best === null || score > best.gain)) best = { feature: j, bin: b, gain: score };
    }
  }
  return best;
}

function leafOf(tree: Tree, value: (feature: number) => number): { node: number; value: number } {
  let node = 0;
  while (tree.feature[node]! >= 0) node = value(tree.feature[node]!) <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return { node, value: tree.value[node]! };
}

/** The model's log-odds for a row (features rounded to float32, as ONNX reads them). */
export function gbdtMargin(model: FittedGbdt, row: readonly number[]): number {
  let m = model.base;
  for (const tree of model.trees) m += leafOf(tree, (j) => f32(row[j]!)).value;
  return m;
}

export function predictGbdt(model: FittedGbdt, row: readonly number[]): number {
  return sigmoid(gbdtMargin(model, row));
}
