import { ProtoWriter } from "./protobuf";

/**
 * The pieces of an ONNX graph, written with onnx.proto's field numbers (ModelProto,
 * GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto).
 */
export const FLOAT = 1;
export const INT64 = 7;
export const IR_VERSION = 8;
export const OPSET = 13;

function tensorType(w: ProtoWriter, elem: number, dims: (number | string)[]): void {
  w.message(1, (tensor) => {
    tensor.int(1, elem);
    tensor.message(2, (shape) => {
      for (const d of dims) shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
    });
  });
}

/** A graph input (field 11) or output (field 12). */
export function valueInfo(w: ProtoWriter, field: 11 | 12, name: string, dims: (number | string)[], elem = FLOAT): void {
  w.message(field, (vi) => {
    vi.string(1, name);
    vi.message(2, (t) => tensorType(t, elem, dims));
  });
}

/** A float32 constant of the graph. */
export function initializer(w: ProtoWriter, name: string, dims: number[], values: ArrayLike<number>): void {
  w.message(5, (t) => {
    t.ints(1, dims);
    t.int(2, FLOAT);
    t.floats(4, values);
    t.string(8, name);
  });
}

/** An int64 constant of the graph. */
export function int64Initializer(w: ProtoWriter, name: string, dims: number[], values: readonly number[]): void {
  w.message(5, (t) => {
    t.ints(1, dims);
    t.int(2, INT64);
    t.ints(7, values);
    t.string(8, name);
  });
}

/** A node with integer attributes (e.g. Gemm's transB, TopK's axis). */
export function node(w: ProtoWriter, op: string, inputs: string[], outputs: string | string[], attributes: Record<string, number> = {}): void {
  const outs = typeof outputs === "string" ? [outputs] : outputs;
  w.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    for (const o of outs) n.string(2, o);
    n.string(3, `${op.toLowerCase()}_${outs[0]}`);
    n.string(4, op);
    for (const [name, value] of Object.entries(attributes)) n.message(5, (a) => a.string(1, name).int(3, value).int(20, 2 /* INT */));
  });
}

/** An attribute value beyond a plain integer: lists of ints, floats or strings, or one string. */
export type Attribute = { ints: readonly number[] } | { floats: ArrayLike<number> } | { strings: readonly string[] } | { string: string } | { int: number };

/** A node of another operator domain (e.g. ai.onnx.ml) with typed attributes. */
export function domainNode(w: ProtoWriter, domain: string, op: string, inputs: string[], outputs: string[], attributes: Record<string, Attribute>): void {
  w.message(1, (n) => {
    for (const i of inputs) n.string(1, i);
    for (const o of outputs) n.string(2, o);
    n.string(3, `${op.toLowerCase()}_${outputs[0]}`);
    n.string(4, op);
    for (const [name, value] of Object.entries(attributes)) {
      n.message(5, (a) => {
        a.string(1, name);
        if ("int" in value) a.int(3, value.int).int(20, 2 /* INT */);
        else if ("string" in value) a.string(4, value.string).int(20, 3 /* STRING */);
        else if ("floats" in value) a.floats(7, value.floats).int(20, 6 /* FLOATS */);
        else if ("ints" in value) a.ints(8, value.ints).int(20, 7 /* INTS */);
        else {
          for (const s of value.strings) a.string(9, s);
          a.int(20, 8 /* STRINGS */);
        }
      });
    }
    n.string(7, domain);
  });
}

/** A whole model: the graph built by `build`, the default opset (plus others, e.g. ai.onnx.ml), string metadata. */
export function onnxModel(
  graphName: string,
  build: (g: ProtoWriter) => void,
  metadata: Record<string, string>,
  opsets: Record<string, number> = {},
  opset = OPSET,
): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, IR_VERSION);
  w.string(2, "tailor");
  w.string(3, "1");
  w.message(7, (g) => {
    build(g);
    g.string(2, graphName);
  });
  w.message(8, (op) => op.string(1, "").int(2, opset));
  for (const [domain, version] of Object.entries(opsets)) w.message(8, (op) => op.string(1, domain).int(2, version));
  for (const [key, value] of Object.entries(metadata)) w.message(14, (kv) => kv.string(1, key).string(2, value));
  return w.finish();
}
