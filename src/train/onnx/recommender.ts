import { initializer, INT64, node, onnxModel, valueInfo } from "./graph";

/**
 * An embedding recommender as an ONNX model. Inputs: `items` int64 [H] (the profile's
 * item indices), `weights` float32 [1, H] (each item's weight), `mask` float32 [1, N]
 * (0, or -Infinity for items never to show) and `k` int64 [1]. The graph gathers the
 * items' embeddings, sums them into the user's vector, scores every item against it
 * (plus each item's goal bias), masks and keeps the top k: outputs `scores` [1, k] and
 * `indices` int64 [1, k].
 */
export interface EmbeddingRecommender {
  /** Items × rank, row-major. */
  embeddings: ArrayLike<number>;
  rank: number;
  bias: ArrayLike<number>;
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
      node(g, "Gemm", ["user", "E", "B"], "raw", { transB: 1 });
      node(g, "Add", ["raw", "mask"], "masked");
      node(g, "TopK", ["masked", "k"], ["scores", "indices"]);
      initializer(g, "E", [n, model.rank], model.embeddings);
      initializer(g, "B", [1, n], model.bias);
      valueInfo(g, 11, "items", ["H"], INT64);
      valueInfo(g, 11, "weights", [1, "H"]);
      valueInfo(g, 11, "mask", [1, n]);
      valueInfo(g, 11, "k", [1], INT64);
      valueInfo(g, 12, "scores", [1, "K"]);
      valueInfo(g, 12, "indices", [1, "K"], INT64);
    },
    { items: String(n), rank: String(model.rank), ...model.metadata },
  );
}
