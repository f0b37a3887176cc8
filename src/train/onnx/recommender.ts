import { domainNode, initializer, int64Initializer, INT64, node, onnxModel, valueInfo } from "./graph";

/**
 * An embedding recommender as an ONNX model. Inputs: `items` int64 [H] (the profile's
 * item indices), `weights` float32 [1, H] (each item's weight), `mask` float32 [1, N]
 * (0, or -Infinity for items never to show) and `k` int64 [1]. The graph gathers the
 * items' embeddings, sums them into the user's vector, scores every item against it
 * (plus each item's goal bias), masks and keeps the top k: outputs `scores` [1, k] and
 * `indices` int64 [1, k]. With a repeat component (src/train/recs/repeat.ts) it also
 * takes `counts` float32 [1, H], how often the profile took each of its items, and
 * raises those items by base + perCount · log(1 + count) + the item's re-take propensity.
 * With item neighbours (src/train/recs/item-knn.ts) every item also gets weight × its
 * summed similarity to the profile's items (ScatterElements with reduction "add", opset 18).
 */
export interface EmbeddingRecommender {
  /** Items × rank, row-major. */
  embeddings: ArrayLike<number>;
  rank: number;
  bias: ArrayLike<number>;
  repeat?: { base: number; perCount: number; item: ArrayLike<number> };
  knn?: { k: number; index: ArrayLike<number>; sim: ArrayLike<number>; weight: number };
  metadata?: Record<string, string>;
}

export function recommenderOnnx(model: EmbeddingRecommender): Uint8Array {
  const n = model.bias.length;
  if (model.embeddings.length !== n * model.rank) throw new Error("embeddings must be items × rank");
  return onnxModel(
    "embedding_recommender",
    (g) => {
      node(g, "Gather", ["E", "items"], "history");
      node(g, "MatMul", ["weights", "history"], "user");
      node(g, "Gemm", ["user", "E", "B"], model.knn === undefined ? (model.repeat === undefined ? "raw" : "shared") : "collaborative", { transB: 1 });
      if (model.knn !== undefined) knnNodes(g, n, model.knn, model.repeat === undefined ? "raw" : "shared");
      if (model.repeat !== undefined) repeatNodes(g, n, model.repeat);
      node(g, "Add", ["raw", "mask"], "masked");
      node(g, "TopK", ["masked", "k"], ["scores", "indices"]);
      initializer(g, "E", [n, model.rank], model.embeddings);
      initializer(g, "B", [1, n], model.bias);
      valueInfo(g, 11, "items", ["H"], INT64);
      valueInfo(g, 11, "weights", [1, "H"]);
      if (model.repeat !== undefined) valueInfo(g, 11, "counts", [1, "H"]);
      valueInfo(g, 11, "mask", [1, n]);
      valueInfo(g, 11, "k", [1], INT64);
      valueInfo(g, 12, "scores", [1, "K"]);
      valueInfo(g, 12, "indices", [1, "K"], INT64);
    },
    { items: String(n), rank: String(model.rank), ...model.metadata },
    {},
    model.knn === undefined ? undefined : 18,
  );
}

/** raw = shared + the repeat component scattered onto the profile's own items. */
function repeatNodes(g: Parameters<typeof node>[0], n: number, repeat: NonNullable<EmbeddingRecommender["repeat"]>): void {
  if (repeat.item.length !== n) throw new Error("the repeat component needs one propensity per item");
  node(g, "Add", ["counts", "ONE"], "counts_1");
  node(g, "Log", ["counts_1"], "log_counts");
  node(g, "Mul", ["log_counts", "PER_COUNT"], "by_count");
  node(g, "Gather", ["RETAKE", "items"], "retake");
  node(g, "Add", ["by_count", "retake"], "own_1");
  node(g, "Add", ["own_1", "BASE"], "own");
  node(g, "Unsqueeze", ["items", "AXIS0"], "items_row");
  node(g, "ScatterElements", ["ZEROS", "items_row", "own"], "repeat", { axis: 1 });
  node(g, "Add", ["shared", "repeat"], "raw");
  initializer(g, "ONE", [1], [1]);
  initializer(g, "BASE", [1], [repeat.base]);
  initializer(g, "PER_COUNT", [1], [repeat.perCount]);
  initializer(g, "RETAKE", [n], repeat.item);
  initializer(g, "ZEROS", [1, n], new Float32Array(n));
  int64Initializer(g, "AXIS0", [1], [0]);
}

/** out = collaborative + weight · Σ over the profile's items of their neighbours' similarities. */
function knnNodes(g: Parameters<typeof node>[0], n: number, knn: NonNullable<EmbeddingRecommender["knn"]>, out: string): void {
  if (knn.index.length !== n * knn.k || knn.sim.length !== n * knn.k) throw new Error("item neighbours must be items × k");
  node(g, "Gather", ["NB_INDEX", "items"], "nb_index");
  node(g, "Gather", ["NB_SIM", "items"], "nb_sim");
  node(g, "Transpose", ["weights"], "weights_column");
  node(g, "Mul", ["nb_sim", "weights_column"], "nb_weighted");
  node(g, "Reshape", ["nb_index", "ROW"], "nb_index_row");
  node(g, "Reshape", ["nb_weighted", "ROW"], "nb_weighted_row");
  domainNode(g, "", "ScatterElements", ["ZEROS_KNN", "nb_index_row", "nb_weighted_row"], ["knn"], { axis: { int: 1 }, reduction: { string: "add" } });
  node(g, "Mul", ["knn", "KNN_WEIGHT"], "knn_weighted");
  node(g, "Add", ["collaborative", "knn_weighted"], out);
  int64Initializer(g, "NB_INDEX", [n, knn.k], Array.from(knn.index));
  initializer(g, "NB_SIM", [n, knn.k], knn.sim);
  int64Initializer(g, "ROW", [2], [1, -1]);
  initializer(g, "ZEROS_KNN", [1, n], new Float32Array(n));
  initializer(g, "KNN_WEIGHT", [1], [knn.weight]);
}
