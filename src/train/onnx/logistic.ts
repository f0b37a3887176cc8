import { ProtoWriter } from "./protobuf";

/**
 * A logistic regression as an ONNX model: probability = sigmoid(features · W + b), with
 * input `features` float32 [N, F] and output `probability` float32 [N, 1]. Feature
 * standardisation is folded into W and b by the trainer, so the edge feeds raw features.
 * Field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, TensorProto, …).
 */
export interface LogisticModel {
  weights: readonly number[];
  bias: number;
  featureNames: readonly string[];
  /** Key/value pairs stored in the model (feature spec version, prediction id, …). */
  metadata?: Record<string, string>;
}

const FLOAT = 1;
const IR_VERSION = 8;
const OPSET = 13;

function tensorType(w: ProtoWriter, dims: (number | string)[]): void {
  w.message(1, (tensor) => {
    tensor.int(1, FLOAT);
    tensor.message(2, (shape) => {
      for (const d of dims) shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
    });
  });
}

function valueInfo(w: ProtoWriter, field: number, name: string, dims: (number | string)[]): void {
  w.message(field, (vi) => {
    vi.string(1, name);
    vi.message(2, (t) => tensorType(t, dims));
  });
}

function initializer(w: ProtoWriter, name: string, dims: number[], values: readonly number[]): void {
  w.message(5, (t) => {
    t.ints(1, dims);
    t.int(2, FLOAT);
    t.floats(4, values);
    t.string(8, name);
  });
}

function node(w: ProtoWriter, op: string, inputs: string[], output: string): void {
  w.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    n.string(2, output);
    n.string(3, `${op.toLowerCase()}_${output}`);
    n.string(4, op);
  });
}

export function logisticOnnx(model: LogisticModel): Uint8Array {
  const f = model.weights.length;
  if (f !== model.featureNames.length) throw new Error("one weight per feature");
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, "tailor");
  w.string(3, "1");
  w.message(7, (g) => {
    node(g, "MatMul", ["features", "W"], "logits_wx");
    node(g, "Add", ["logits_wx", "B"], "logits");
    node(g, "Sigmoid", ["logits"], "probability");
    g.string(2, "logistic_regression");
    initializer(g, "W", [f, 1], model.weights);
    initializer(g, "B", [1], [model.bias]);
    valueInfo(g, 11, "features", ["N", f]);
    valueInfo(g, 12, "probability", ["N", 1]);
  });
  w.message(8, (op) => op.string(1, "").int(2, OPSET));
  const metadata = { features: model.featureNames.join(","), ...model.metadata };
  for (const [key, value] of Object.entries(metadata)) w.message(14, (kv) => kv.string(1, key).string(2, value));
  return w.finish();
}
