/**
 * L2-regularised logistic regression, fitted by Newton's method (IRLS) on standardised
 * features: few iterations, deterministic, no learning rate to tune. The standardisation
 * is folded back into raw-feature weights, so serving needs no scaler.
 */
export interface FitOptions {
  /** L2 penalty on standardised weights (not the intercept). */
  l2: number;
  maxIterations: number;
  tolerance: number;
}

export interface FittedLogistic {
  /** Weights on raw features (what the ONNX model and the edge use). */
  weights: number[];
  bias: number;
  /** Weights on standardised features: comparable magnitudes, used for importance. */
  standardizedWeights: number[];
  iterations: number;
}

const DEFAULTS: FitOptions = { l2: 1, maxIterations: 50, tolerance: 1e-8 };

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[], options: Partial<FitOptions> = {}): FittedLogistic {
  const { l2, maxIterations, tolerance } = { ...DEFAULTS, ...options };
  const n = x.length;
  const f = x[0]?.length ?? 0;
  const mean = new Array<number>(f).fill(0);
  const scale = new Array<number>(f).fill(0);
  for (const row of x) for (const [j, v] of row.entries()) mean[j]! += v / n;
  for (const row of x) for (const [j, v] of row.entries()) scale[j]! += (v - mean[j]!) ** 2 / n;
  for (let j = 0; j < f; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const z = x.map((row) => row.map((v, j) => (v - mean[j]!) / scale[j]!));

  // beta[0] is the intercept, beta[1..f] the standardised weights.
  const beta = new Array<number>(f + 1).fill(0);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const grad = new Array<number>(f + 1).fill(0);
    const hess = Array.from({ length: f + 1 }, () => new Array<number>(f + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const row = z[i]!;
      let eta = beta[0]!;
      for (let j = 0; j < f; j++) eta += beta[j + 1]! * row[j]!;
      const p = sigmoid(eta);
      const r = y[i]! - p;
      const w = Math.max(p * (1 - p), 1e-10);
      grad[0]! += r;
      hess[0]![0]! += w;
      for (let j = 0; j < f; j++) {
        grad[j + 1]! += r * row[j]!;
        hess[0]![j + 1]! += w * row[j]!;
        for (let k = j; k < f; k++) hess[j + 1]![k + 1]! += w * row[j]! * row[k]!;
      }
    }
    for (let j = 0; j <= f; j++) for (let k = 0; k < j; k++) hess[j]![k] = hess[k]![j]!;
    for (let j = 1; j <= f; j++) {
      grad[j]! -= l2 * beta[j]!;
      hess[j]![j]! += l2;
    }
    const step = solve(hess, grad);
    let change = 0;
    for (let j = 0; j <= f; j++) {
      beta[j]! += step[j]!;
      change = Math.max(change, Math.abs(step[j]!));
    }
    if (change < tolerance) {
      iterations++;
      break;
    }
  }
  const standardizedWeights = beta.slice(1);
  const weights = standardizedWeights.map((b, j) => b / scale[j]!);
  const bias = beta[0]! - standardizedWeights.reduce((s, b, j) => s + (b * mean[j]!) / scale[j]!, 0);
  return { weights, bias, standardizedWeights, iterations };
}

export function predict(model: Pick<FittedLogistic, "weights" | "bias">, row: readonly number[]): number {
  let eta = model.bias;
  for (let j = 0; j < row.length; j++) eta += model.weights[j]! * row[j]!;
  return sigmoid(eta);
}

/** Solves A x = b (A symmetric positive definite) by Gaussian elimination with pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    const d = m[c]![c]! || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const factor = m[r]![c]! / d;
      for (let k = c; k <= n; k++) m[r]![k]! -= factor * m[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * x[k]!;
    x[r] = s / (m[r]![r]! || 1e-12);
  }
  return x;
}
