import type { FittedGbdt } from "../model/gbdt";
import { domainNode, node, onnxModel, valueInfo } from "./graph";

/**
 * Boosted trees as an ONNX model: ai.onnx.ml's TreeEnsembleRegressor sums the trees'
 * leaves into a log-odds margin (x <= threshold takes the true branch, as the trainer
 * does), then probability = sigmoid(margin). Same input and output as the logistic
 * model (`features` [N, F] → `probability` [N, 1]), so the edge scores either alike.
 */
export function treesOnnx(model: FittedGbdt, featureNames: readonly string[], metadata: Record<string, string> = {}): Uint8Array {
  const f = featureNames.length;
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    features: [] as number[],
    values: [] as number[],
    modes: [] as string[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    targetTrees: [] as number[],
    targetNodes: [] as number[],
    targetWeights: [] as number[],
  };
  model.trees.forEach((tree, t) => {
    tree.feature.forEach((feature, n) => {
      const leaf = feature < 0;
      a.treeIds.push(t);
      a.nodeIds.push(n);
      a.features.push(leaf ? 0 : feature);
      a.values.push(leaf ? 0 : tree.threshold[n]!);
      a.modes.push(leaf ? "LEAF" : "BRANCH_LEQ");
      a.trueIds.push(leaf ? 0 : tree.left[n]!);
      a.falseIds.push(leaf ? 0 : tree.right[n]!);
      if (leaf) {
        a.targetTrees.push(t);
        a.targetNodes.push(n);
        a.targetWeights.push(tree.value[n]!);
      }
    });
  });
  return onnxModel(
    "boosted_trees",
    (g) => {
      domainNode(g, "ai.onnx.ml", "TreeEnsembleRegressor", ["features"], ["margin"], {
        n_targets: { int: 1 },
        aggregate_function: { string: "SUM" },
        post_transform: { string: "NONE" },
        base_values: { floats: [model.base] },
        nodes_treeids: { ints: a.treeIds },
        nodes_nodeids: { ints: a.nodeIds },
        nodes_featureids: { ints: a.features },
        nodes_values: { floats: a.values },
        nodes_modes: { strings: a.modes },
        nodes_truenodeids: { ints: a.trueIds },
        nodes_falsenodeids: { ints: a.falseIds },
        target_treeids: { ints: a.targetTrees },
        target_nodeids: { ints: a.targetNodes },
        target_ids: { ints: a.targetTrees.map(() => 0) },
        target_weights: { floats: a.targetWeights },
      });
      node(g, "Sigmoid", ["margin"], "probability");
      valueInfo(g, 11, "features", ["N", f]);
      valueInfo(g, 12, "probability", ["N", 1]);
    },
    { features: featureNames.join(","), ...metadata },
    { "ai.onnx.ml": 1 },
  );
}
