/**
 * Just enough of the protobuf wire format to write ONNX models from Node without
 * Python or a code generator: varints, length-delimited fields and packed floats.
 */
export class ProtoWriter {
  readonly #bytes: number[] = [];

  #varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#bytes.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
  }

  #tag(field: number, wireType: 0 | 2 | 5): void {
    this.#varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    this.#tag(field, 0);
    this.#varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, 2);
    this.#varint(value.length);
    for (const b of value) this.#bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float (32-bit little-endian). */
  floats(field: number, values: ArrayLike<number>): this {
    const buf = new DataView(new ArrayBuffer(values.length * 4));
    for (let i = 0; i < values.length; i++) buf.setFloat32(i * 4, values[i]!, true);
    return this.bytes(field, new Uint8Array(buf.buffer));
  }

  /** A packed repeated int64. */
  ints(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}
