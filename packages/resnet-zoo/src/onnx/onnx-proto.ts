// Internal: the subset of onnx.proto (IR v8) that a CNN graph needs, as plain objects.
import { BigFaceError } from '@bigface/backend';
import { ProtoWriter, readFields, repeatedFloats, repeatedVarints, toInt64, utf8, type ProtoField } from './protobuf';

export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** float32 data for FLOAT, numbers for the integer types. */
  data: Float32Array | number[];
}

export type OnnxAttribute =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: its element type and shape, where a dimension may be symbolic. */
export interface OnnxValueInfo {
  name: string;
  elementType: number;
  shape: (number | string)[];
}

export interface OnnxGraphProto {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImports: { domain: string; version: number }[];
  graph: OnnxGraphProto;
}

const fail = (message: string): never => {
  throw new BigFaceError('INVALID_ONNX', `importOnnx: not a valid ONNX model (${message})`);
};

// ---- encoding ----

function writeTensor(w: ProtoWriter, tensor: OnnxTensor): void {
  w.packedVarints(1, tensor.dims).varint(2, tensor.dataType).string(8, tensor.name);
  if (tensor.dataType === ONNX_FLOAT) {
    const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data);
    const bytes = new Uint8Array(data.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
    w.bytes(9, bytes);
  } else {
    w.packedVarints(7, Array.from(tensor.data));
  }
}

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name).message(2, (type) =>
    type.message(1, (tensorType) =>
      tensorType.varint(1, info.elementType).message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
        }
      }),
    ),
  );
}

function writeAttribute(w: ProtoWriter, name: string, attribute: OnnxAttribute): void {
  w.string(1, name);
  switch (attribute.type) {
    case 'float':
      w.float(2, attribute.value).varint(20, 1);
      break;
    case 'int':
      w.varint(3, attribute.value).varint(20, 2);
      break;
    case 'string':
      w.string(4, attribute.value).varint(20, 3);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, attribute.value)).varint(20, 4);
      break;
    case 'floats':
      w.packedFloats(7, attribute.value).varint(20, 6);
      break;
    case 'ints':
      w.packedVarints(8, attribute.value).varint(20, 7);
      break;
  }
}

export function encodeOnnxModel(model: OnnxModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.varint(1, model.irVersion).string(2, model.producerName).string(3, model.producerVersion);
  w.message(7, (g) => {
    for (const node of model.graph.nodes) {
      g.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, node.name).string(4, node.opType);
        if (node.domain) n.string(7, node.domain);
        for (const [name, attribute] of node.attributes) n.message(5, (a) => writeAttribute(a, name, attribute));
      });
    }
    g.string(2, model.graph.name);
    for (const tensor of model.graph.initializers) g.message(5, (t) => writeTensor(t, tensor));
    for (const input of model.graph.inputs) g.message(11, (v) => writeValueInfo(v, input));
    for (const output of model.graph.outputs) g.message(12, (v) => writeValueInfo(v, output));
  });
  for (const opset of model.opsetImports) w.message(8, (o) => o.string(1, opset.domain).varint(2, opset.version));
  return w.finish();
}

// ---- decoding ----

function readTensor(bytes: Uint8Array): OnnxTensor {
  const tensor: OnnxTensor = { name: '', dims: [], dataType: 0, data: [] };
  let raw: Uint8Array | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  for (const f of readFields(bytes, fail)) {
    if (f.field === 1) tensor.dims.push(...repeatedVarints(f, fail));
    else if (f.field === 2) tensor.dataType = Number(f.varint);
    else if (f.field === 4) floats.push(...repeatedFloats(f));
    else if (f.field === 5 || f.field === 7) ints.push(...repeatedVarints(f, fail));
    else if (f.field === 8) tensor.name = utf8(f.bytes!);
    else if (f.field === 9) raw = f.bytes;
    else if (f.field === 13) fail(`tensor uses external data, which is not supported: save the model with weights inside`);
  }
  const size = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.dataType === ONNX_FLOAT) {
    if (raw) {
      const copy = new Uint8Array(raw); // an aligned copy (Buffer#slice would be a view of the whole file)
      tensor.data = new Float32Array(copy.buffer, 0, copy.length / 4);
    } else tensor.data = Float32Array.from(floats);
  } else if (tensor.dataType === ONNX_INT64 || tensor.dataType === ONNX_INT32) {
    if (raw) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const width = tensor.dataType === ONNX_INT64 ? 8 : 4;
      tensor.data = Array.from({ length: raw.length / width }, (_, i) => (width === 8 ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true)));
    } else tensor.data = ints;
  } else {
    fail(`tensor '${tensor.name}' has data type ${tensor.dataType}; only float32, int32 and int64 are supported`);
  }
  if (tensor.data.length !== size) fail(`tensor '${tensor.name}' holds ${tensor.data.length} values for dims [${tensor.dims.join(', ')}]`);
  return tensor;
}

function readAttribute(bytes: Uint8Array): [string, OnnxAttribute | undefined] {
  let name = '';
  let type = 0;
  const parts = new Map<number, ProtoField[]>();
  for (const f of readFields(bytes, fail)) {
    if (f.field === 1) name = utf8(f.bytes!);
    else if (f.field === 20) type = Number(f.varint);
    else parts.set(f.field, [...(parts.get(f.field) ?? []), f]);
  }
  const first = (field: number): ProtoField | undefined => parts.get(field)?.[0];
  switch (type) {
    case 1:
      return [name, { type: 'float', value: new DataView(new Uint8Array(first(2)!.bytes!).buffer).getFloat32(0, true) }];
    case 2:
      return [name, { type: 'int', value: toInt64(first(3)?.varint ?? 0n) }];
    case 3:
      return [name, { type: 'string', value: utf8(first(4)?.bytes ?? new Uint8Array()) }];
    case 4:
      return [name, { type: 'tensor', value: readTensor(first(5)!.bytes!) }];
    case 6:
      return [name, { type: 'floats', value: (parts.get(7) ?? []).flatMap((f) => repeatedFloats(f)) }];
    case 7:
      return [name, { type: 'ints', value: (parts.get(8) ?? []).flatMap((f) => repeatedVarints(f, fail)) }];
    default:
      return [name, undefined];
  }
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elementType: 0, shape: [] };
  for (const f of readFields(bytes, fail)) {
    if (f.field === 1) info.name = utf8(f.bytes!);
    else if (f.field === 2) {
      for (const t of readFields(f.bytes!, fail)) {
        if (t.field !== 1) continue;
        for (const tt of readFields(t.bytes!, fail)) {
          if (tt.field === 1) info.elementType = Number(tt.varint);
          else if (tt.field === 2) {
            for (const dim of readFields(tt.bytes!, fail)) {
              if (dim.field !== 1) continue;
              let value: number | string = '?';
              for (const d of readFields(dim.bytes!, fail)) {
                if (d.field === 1) value = toInt64(d.varint!);
                else if (d.field === 2) value = utf8(d.bytes!);
              }
              info.shape.push(value);
            }
          }
        }
      }
    }
  }
  return info;
}

export function decodeOnnxModel(bytes: Uint8Array): OnnxModelProto {
  const model: OnnxModelProto = {
    irVersion: 0,
    producerName: '',
    producerVersion: '',
    opsetImports: [],
    graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [] },
  };
  let sawGraph = false;
  for (const f of readFields(bytes, fail)) {
    if (f.field === 1) model.irVersion = toInt64(f.varint!);
    else if (f.field === 2) model.producerName = utf8(f.bytes!);
    else if (f.field === 3) model.producerVersion = utf8(f.bytes!);
    else if (f.field === 8) {
      const opset = { domain: '', version: 0 };
      for (const o of readFields(f.bytes!, fail)) {
        if (o.field === 1) opset.domain = utf8(o.bytes!);
        else if (o.field === 2) opset.version = toInt64(o.varint!);
      }
      model.opsetImports.push(opset);
    } else if (f.field === 7) {
      sawGraph = true;
      const graph = model.graph;
      for (const g of readFields(f.bytes!, fail)) {
        if (g.field === 1) {
          const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
          for (const n of readFields(g.bytes!, fail)) {
            if (n.field === 1) node.inputs.push(utf8(n.bytes!));
            else if (n.field === 2) node.outputs.push(utf8(n.bytes!));
            else if (n.field === 3) node.name = utf8(n.bytes!);
            else if (n.field === 4) node.opType = utf8(n.bytes!);
            else if (n.field === 7) node.domain = utf8(n.bytes!);
            else if (n.field === 5) {
              const [name, attribute] = readAttribute(n.bytes!);
              if (attribute) node.attributes.set(name, attribute);
            }
          }
          graph.nodes.push(node);
        } else if (g.field === 2) graph.name = utf8(g.bytes!);
        else if (g.field === 5) graph.initializers.push(readTensor(g.bytes!));
        else if (g.field === 11) graph.inputs.push(readValueInfo(g.bytes!));
        else if (g.field === 12) graph.outputs.push(readValueInfo(g.bytes!));
      }
    }
  }
  if (!sawGraph) fail('no graph: is this an ONNX ModelProto file?');
  return model;
}
