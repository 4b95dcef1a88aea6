// Internal: the few pieces of the protobuf wire format that ONNX needs (varints, 32-bit floats,
// length-delimited fields). Written by hand rather than pulling in protobufjs + the onnx.proto
// schema (~1 MB of dependencies) for the dozen message fields that an IResNet uses.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Builds one protobuf message; nested messages are built by their own writer and embedded. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private length = 0;

  private flushPending(): void {
    if (this.pending.length > 0) {
      this.chunks.push(Uint8Array.from(this.pending));
      this.pending = [];
    }
  }

  private rawVarint(value: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.pending.push(Number(v & 0x7fn) | 0x80);
      this.length++;
      v >>= 7n;
    }
    this.pending.push(Number(v));
    this.length++;
  }

  private tag(field: number, wire: number): void {
    this.rawVarint((field << 3) | wire);
  }

  private raw(bytes: Uint8Array): void {
    this.flushPending();
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** int32/int64/enum/bool (negative values as 10-byte two's complement, as protobuf does). */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.raw(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.raw(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      view.setFloat32(i * 4, v, true);
    });
    return this.bytes(field, bytes);
  }

  finish(): Uint8Array {
    this.flushPending();
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/** One decoded field: `varint` for wire type 0, `bytes` for 2, `fixed32`/`fixed64` raw bytes for 5/1. */
export interface ProtoField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** Splits a message into its fields, in order. Throws `INVALID_ONNX` on truncated input. */
export function readFields(buffer: Uint8Array, fail: (message: string) => never): ProtoField[] {
  const fields: ProtoField[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) fail('truncated varint');
      const byte = buffer[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) fail('varint too long');
    }
  };
  const take = (n: number): Uint8Array => {
    if (offset + n > buffer.length) fail('truncated field');
    const out = buffer.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  while (offset < buffer.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE_VARINT) fields.push({ field, wire, varint: varint() });
    else if (wire === WIRE_LENGTH_DELIMITED) fields.push({ field, wire, bytes: take(Number(varint())) });
    else if (wire === WIRE_FIXED32) fields.push({ field, wire, bytes: take(4) });
    else if (wire === WIRE_FIXED64) fields.push({ field, wire, bytes: take(8) });
    else fail(`unsupported protobuf wire type ${wire}`);
  }
  return fields;
}

/** A signed int64 varint as a JS number. */
export function toInt64(value: bigint): number {
  return Number(BigInt.asIntN(64, value));
}

/** Reads a packed or unpacked repeated varint field. */
export function repeatedVarints(field: ProtoField, fail: (message: string) => never): number[] {
  if (field.wire === WIRE_VARINT) return [toInt64(field.varint!)];
  return readPackedVarints(field.bytes!, fail);
}

function readPackedVarints(bytes: Uint8Array, fail: (message: string) => never): number[] {
  const out: number[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= bytes.length) fail('truncated packed varint');
      const byte = bytes[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    out.push(toInt64(result));
  }
  return out;
}

/** Reads a packed or unpacked repeated float field. */
export function repeatedFloats(field: ProtoField): number[] {
  const bytes = field.bytes!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

export function utf8(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
