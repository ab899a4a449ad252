/**
 * A float `Graph` as ONNX protobuf bytes: a ModelProto (`encodeOnnx`) or a bare TensorProto (`encodeTensorProto`).
 *
 * Written field by field with protobufjs' Writer rather than with the `onnx-proto` package's encoders, because
 * those are compiled from onnx.proto3 and pack every repeated number, while ONNX's reference schema (onnx.proto,
 * proto2, what the python `onnx` package writes) packs float_data, int32_data, int64_data, double_data and
 * uint64_data but NOT TensorProto.dims, AttributeProto.floats or AttributeProto.ints. Writing the proto2 layout
 * keeps the bytes of every model Verity exports identical to those it always wrote (hence the same CIDs), and
 * equal to what python's onnx writes. Both layouts decode the same (test/executor/onnx.test.ts checks the field
 * numbers against `onnx-proto`'s decoder).
 *
 * What is written: exactly the fields below, each set field even when zero or empty (proto2 explicit presence),
 * repeated fields only when not empty, in field-number order, as a protobuf encoder does.
 */
import { Writer } from "protobufjs/minimal";
import type { AttributeValue, Graph, Tensor, ValueInfo } from "./graph";
import { AT, DT } from "./onnx-read";

/** The IR version `encodeOnnx` writes by default (ONNX 1.10+, understood by every current runtime). */
export const DEFAULT_IR_VERSION = 8;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8Encoder = new TextEncoder();

/** Wire types: varint, 32-bit, length-delimited. */
const VARINT = 0;
const LEN = 2;
const I32 = 5;

const tag = (w: Writer, field: number, wire: number): Writer => w.uint32((field << 3) | wire);

/** A length-delimited sub-message `field` written by `body`. */
function message(w: Writer, field: number, body: (w: Writer) => void): void {
  tag(w, field, LEN).fork();
  body(w);
  w.ldelim();
}

function int64ToRaw(data: readonly number[]): Uint8Array {
  const out = new Uint8Array(data.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    const hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    dv.setUint32(i * 8, lo, true);
    dv.setInt32(i * 8 + 4, hi, true);
  }
  return out;
}

function float32ToRaw(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}

/** TensorProto: dims (1, unpacked int64), data_type (2), name (8), raw_data (9, little-endian). */
function writeTensor(w: Writer, t: Tensor, name: string): void {
  for (const d of t.dims) tag(w, 1, VARINT).int64(d);
  tag(w, 2, VARINT).int32(t.dtype === "float32" ? DT.FLOAT : DT.INT64);
  tag(w, 8, LEN).string(name);
  tag(w, 9, LEN).bytes(t.dtype === "float32" ? float32ToRaw(t.data) : int64ToRaw(t.data));
}

/**
 * AttributeProto: name (1), then the value: f (2), i (3, int64), s (4), t (5), g (6, GraphProto bytes), floats (7,
 * unpacked), ints (8, unpacked int64), graphs (11), then type (20, AttributeProto.AttributeType).
 */
function writeAttribute(w: Writer, name: string, a: AttributeValue): void {
  tag(w, 1, LEN).string(name);
  let type: number;
  switch (a.kind) {
    case "float":
      tag(w, 2, I32).float(a.value);
      type = AT.FLOAT;
      break;
    case "int":
      tag(w, 3, VARINT).int64(a.value);
      type = AT.INT;
      break;
    case "string":
      tag(w, 4, LEN).bytes(utf8Encoder.encode(a.value));
      type = AT.STRING;
      break;
    case "tensor":
      message(w, 5, (m) => writeTensor(m, a.value, ""));
      type = AT.TENSOR;
      break;
    case "floats":
      for (const x of a.value) tag(w, 7, I32).float(x);
      type = AT.FLOATS;
      break;
    case "ints":
      for (const x of a.value) tag(w, 8, VARINT).int64(x);
      type = AT.INTS;
      break;
    case "graph":
      tag(w, 6, LEN).bytes(a.value);
      type = AT.GRAPH;
      break;
    case "graphs":
      for (const g of a.value) tag(w, 11, LEN).bytes(g);
      type = AT.GRAPHS;
      break;
  }
  tag(w, 20, VARINT).int32(type);
}

/**
 * ValueInfoProto: name (1), type (2) = TypeProto { tensor_type (1) = { elem_type (1), shape (2) = TensorShapeProto
 * { dim (1) = Dimension { dim_value (1) | dim_param (2) } } } }. An unknown dimension (-1) is written as the
 * symbol "N" (first axis, the batch) or "d<i>".
 */
function writeValueInfo(w: Writer, v: ValueInfo): void {
  tag(w, 1, LEN).string(v.name);
  message(w, 2, (type) =>
    message(type, 1, (tensor) => {
      tag(tensor, 1, VARINT).int32(v.dtype === "float32" ? DT.FLOAT : DT.INT64);
      message(tensor, 2, (shape) =>
        v.dims.forEach((d, i) =>
          message(shape, 1, (dim) => {
            if (d >= 0) tag(dim, 1, VARINT).int64(d);
            else tag(dim, 2, LEN).string(i === 0 ? "N" : `d${i}`);
          }),
        ),
      );
    }),
  );
}

/** GraphProto: node (1), name (2), initializer (5), input (11), output (12). */
function writeGraph(w: Writer, graph: Graph): void {
  for (const n of graph.nodes) {
    // NodeProto: input (1), output (2), name (3), op_type (4), attribute (5).
    message(w, 1, (node) => {
      for (const s of n.inputs) tag(node, 1, LEN).string(s);
      for (const s of n.outputs) tag(node, 2, LEN).string(s);
      tag(node, 3, LEN).string(n.name);
      tag(node, 4, LEN).string(n.opType);
      for (const [k, v] of Object.entries(n.attributes)) message(node, 5, (attr) => writeAttribute(attr, k, v));
    });
  }
  tag(w, 2, LEN).string(graph.name);
  for (const [name, t] of graph.initializers) message(w, 5, (m) => writeTensor(m, t, name));
  for (const v of graph.inputs) message(w, 11, (m) => writeValueInfo(m, v));
  for (const v of graph.outputs) message(w, 12, (m) => writeValueInfo(m, v));
}

/**
 * `graph` as bare GraphProto bytes: the body of a control-flow node's GRAPH attribute (`{ kind: "graph", value }`),
 * e.g. an If's `then_branch`, whose nodes may read the enclosing graph's tensors.
 */
export function encodeGraphProto(graph: Graph): Uint8Array {
  const w = Writer.create();
  writeGraph(w, graph);
  return w.finish();
}

/**
 * Writes `graph` as an ONNX ModelProto (IR version 8 unless told otherwise, default-domain opset
 * `graph.opsetVersion`). Initializers are written as raw_data and are not listed as graph inputs.
 * `loadOnnx(encodeOnnx(g))` deep-equals `g` for any Graph that `loadOnnx` or `GraphBuilder.build` produced.
 */
export function encodeOnnx(graph: Graph, opts: { producerName?: string; irVersion?: number } = {}): Uint8Array {
  // ModelProto: ir_version (1), producer_name (2), producer_version (3), graph (7), opset_import (8).
  const w = Writer.create();
  tag(w, 1, VARINT).int64(opts.irVersion ?? DEFAULT_IR_VERSION);
  tag(w, 2, LEN).string(opts.producerName ?? "verity");
  tag(w, 3, LEN).string("0.1.0");
  message(w, 7, (g) => writeGraph(g, graph));
  // OperatorSetIdProto: domain (1), version (2).
  message(w, 8, (op) => {
    tag(op, 1, LEN).string("");
    tag(op, 2, VARINT).int64(graph.opsetVersion);
  });
  return w.finish();
}

/** Encodes `t` as a bare TensorProto (raw_data, little-endian), readable by `decodeTensorProto` and by onnx. */
export function encodeTensorProto(t: Tensor, name = ""): Uint8Array {
  const w = Writer.create();
  writeTensor(w, t, name);
  return w.finish();
}
