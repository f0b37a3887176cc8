import { mulberry32 } from "../../core/hash";

/**
 * PureSVD (Cremonesi, Koren & Turrin 2010): a user's scores are r · V · Vᵀ, where V holds
 * the top right singular vectors of the user × item matrix R. V's rows are item
 * embeddings; a user's vector is the sum of the embeddings of their items. Computed by
 * randomized subspace iteration (Halko, Martinsson & Tropp 2011) over a sparse R.
 */

/** Rows of a sparse matrix (CSR): users × items, with values. */
export interface SparseRows {
  rows: number;
  cols: number;
  ptr: Int32Array;
  idx: Int32Array;
  val: Float64Array;
}

export function sparseRows(rows: number, cols: number, entries: readonly (readonly [number, number, number])[]): SparseRows {
  const counts = new Int32Array(rows + 1);
  for (const [r] of entries) counts[r + 1]!++;
  for (let r = 0; r < rows; r++) counts[r + 1]! += counts[r]!;
  const ptr = counts.slice();
  const fill = counts.slice(0, rows);
  const idx = new Int32Array(entries.length);
  const val = new Float64Array(entries.length);
  for (const [r, c, v] of entries) {
    const at = fill[r]!++;
    idx[at] = c;
    val[at] = v;
  }
  return { rows, cols, ptr, idx, val };
}

/** R · X, with X dense cols × k (row-major). */
function times(r: SparseRows, x: Float64Array, k: number): Float64Array {
  const out = new Float64Array(r.rows * k);
  for (let u = 0; u < r.rows; u++) {
    const o = u * k;
    for (let p = r.ptr[u]!; p < r.ptr[u + 1]!; p++) {
      const v = r.val[p]!;
      const xi = r.idx[p]! * k;
      for (let j = 0; j < k; j++) out[o + j]! += v * x[xi + j]!;
    }
  }
  return out;
}

/** Rᵀ · Y, with Y dense rows × k. */
function timesTransposed(r: SparseRows, y: Float64Array, k: number): Float64Array {
  const out = new Float64Array(r.cols * k);
  for (let u = 0; u < r.rows; u++) {
    const yu = u * k;
    for (let p = r.ptr[u]!; p < r.ptr[u + 1]!; p++) {
      const v = r.val[p]!;
      const o = r.idx[p]! * k;
      for (let j = 0; j < k; j++) out[o + j]! += v * y[yu + j]!;
    }
  }
  return out;
}

/** Orthonormalises the k columns of an n × k row-major matrix in place (modified Gram–Schmidt). */
function orthonormalize(a: Float64Array, n: number, k: number): void {
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += a[r * k + i]! * a[r * k + j]!;
      for (let r = 0; r < n; r++) a[r * k + j]! -= dot * a[r * k + i]!;
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += a[r * k + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < n; r++) a[r * k + j] = norm > 1e-12 ? a[r * k + j]! / norm : 0;
  }
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric k × k matrix, by cyclic Jacobi. */
export function symmetricEigen(m: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = m.slice();
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += a[p * k + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * k + q]! - a[p * k + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = a[r * k + p]!;
          const arq = a[r * k + q]!;
          a[r * k + p] = c * arp - s * arq;
          a[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = a[p * k + r]!;
          const aqr = a[q * k + r]!;
          a[p * k + r] = c * apr - s * aqr;
          a[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p]!;
          const vrq = v[r * k + q]!;
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = a[i * k + i]!;
  return { values, vectors: v };
}

/** A seeded PRNG's standard normals (Box–Muller), so training is reproducible. */
function gaussian(seed: number): () => number {
  const draw = mulberry32(seed);
  const uniform = () => (draw() + 1) / (2 ** 32 + 2);
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The top `rank` right singular vectors of R as item embeddings: items × rank,
 * row-major, strongest direction first.
 */
export function itemEmbeddings(r: SparseRows, rank: number, options: { oversample?: number; iterations?: number; seed?: number } = {}): Float64Array {
  const k = Math.min(rank + (options.oversample ?? 10), r.cols, r.rows);
  const normal = gaussian(options.seed ?? 42);
  const omega = new Float64Array(r.cols * k).map(normal);
  let y = times(r, omega, k);
  orthonormalize(y, r.rows, k);
  for (let q = 0; q < (options.iterations ?? 4); q++) {
    const z = timesTransposed(r, y, k);
    orthonormalize(z, r.cols, k);
    y = times(r, z, k);
    orthonormalize(y, r.rows, k);
  }
  // B = Qᵀ R (k × items), held as its transpose Bᵀ = Rᵀ Q (items × k); B Bᵀ = U Σ² Uᵀ.
  const bt = timesTransposed(r, y, k);
  const gram = new Float64Array(k * k);
  for (let i = 0; i < r.cols; i++) {
    for (let a = 0; a < k; a++) {
      const x = bt[i * k + a]!;
      if (x === 0) continue;
      for (let b = a; b < k; b++) gram[a * k + b]! += x * bt[i * k + b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) gram[a * k + b] = gram[b * k + a]!;
  const { values, vectors } = symmetricEigen(gram, k);
  const order = [...values.keys()].sort((a, b) => values[b]! - values[a]!).slice(0, Math.min(rank, k));
  // V = Bᵀ U Σ⁻¹: each column a unit right singular vector.
  const d = order.length;
  const v = new Float64Array(r.cols * d);
  order.forEach((col, j) => {
    const sigma = Math.sqrt(Math.max(values[col]!, 0));
    if (sigma < 1e-12) return;
    for (let i = 0; i < r.cols; i++) {
      let sum = 0;
      for (let a = 0; a < k; a++) sum += bt[i * k + a]! * vectors[a * k + col]!;
      v[i * d + j] = sum / sigma;
    }
  });
  return v;
}

/** Scores of every item for a profile holding `items` (weights 1): (Σ Vᵢ) · Vᵀ, plus a per-item bias. */
export function scoreItems(v: Float64Array, rank: number, items: readonly number[], bias?: Float64Array): Float64Array {
  const n = v.length / rank;
  const u = new Float64Array(rank);
  for (const i of items) for (let j = 0; j < rank; j++) u[j]! += v[i * rank + j]!;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = bias?.[i] ?? 0;
    for (let j = 0; j < rank; j++) s += u[j]! * v[i * rank + j]!;
    out[i] = s;
  }
  return out;
}
