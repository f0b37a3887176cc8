import { initializer, node, onnxModel, valueInfo } from "./graph";

/**
 * A logistic regression as an ONNX model: probability = sigmoid(features · W + b), with
 * input `features` float32 [N, F] and output `probability` float32 [N, 1]. Feature
 * standardisation is folded into W and b by the trainer, so the edge feeds raw features.
 */
export interface LogisticModel {
  weights: readonly number[];
  bias: number;
  featureNames: readonly string[];
  /** Key/value pairs stored in the model (feature spec version, prediction id, …). */
  metadata?: Record<string, string>;
}

export function logisticOnnx(model: LogisticModel): Uint8Array {
  const f = model.weights.length;
  if (f !== model.featureNames.length) throw new Error("one weight per feature");
  return onnxModel(
    "logistic_regression",
    (g) => {
      node(g, "MatMul", ["features", "W"], "logits_wx");
      node(g, "Add", ["logits_wx", "B"], "logits");
      node(g, "Sigmoid", ["logits"], "probability");
      initializer(g, "W", [f, 1], model.weights);
      initializer(g, "B", [1], [model.bias]);
      valueInfo(g, 11, "features", ["N", f]);
      valueInfo(g, 12, "probability", ["N", 1]);
    },
    { features: model.featureNames.join(","), ...model.metadata },
  );
}
