/**
 * ONNX I/O: `loadOnnx` decodes a ModelProto into the float `Graph`, `encodeOnnx` writes one back (onnxruntime
 * loads what it writes), and `decodeTensorProto`/`encodeTensorProto` handle the bare TensorProto `.pb` files of
 * ONNX's own test data, which the CLI accepts as inputs.
 *
 * Robustness contract: whatever the bytes, `loadOnnx` returns a validated Graph or throws a `VerityError`
 * (`OnnxDecodeError` when the bytes are not a well-formed ModelProto, `InvalidModelError` when the model is not
 * runnable, `UnsupportedOperatorError` for an operator Verity lacks). No RangeError/TypeError escapes.
 *
 * Tensor element types: FLOAT and DOUBLE load as float32 (DOUBLE rounded to nearest float32, then checked finite);
 * INT64 and the smaller integer types (INT32, INT16, INT8, UINT*, BOOL) load as int64, exactly, when they fit in a
 * JS safe integer. FLOAT16, BFLOAT16, STRING, COMPLEX and external or segmented data are rejected with a message.
 */
import {
  InvalidInputError,
  InvalidModelError,
  OnnxDecodeError,
  UnsupportedOperatorError,
  VerityError,
} from "../errors";
import {
  SUPPORTED_OPERATORS,
  type AttributeValue,
  type DataType,
  type Graph,
  type Tensor,
  type ValueInfo,
} from "./graph";
import {
  ModelProtoType,
  ONNX_ATTRIBUTE_TYPE_NAMES,
  ONNX_DATA_TYPE_NAMES,
  OnnxAttributeType,
  OnnxDataType,
  TensorProtoType,
  type Int64Like,
  type PAttribute,
  type PModel,
  type PNode,
  type PTensor,
  type PValueInfo,
} from "./onnx-schema";
import { MAX_TENSOR_ELEMENTS, checkOperators, checkTensor, finalizeGraph, type DraftNode } from "./validate";

/** The IR version `encodeOnnx` writes by default (ONNX 1.10+, understood by every current runtime). */
export const DEFAULT_IR_VERSION = 8;

type Fail = (msg: string) => never;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------- decoding helpers

function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** A protobufjs int64 as a JS number, rejecting values outside the safe-integer range. */
function toInt(v: Int64Like | undefined | null, what: string, fail: Fail): number {
  let n: number;
  if (v === undefined || v === null) n = 0;
  else if (typeof v === "number") n = v;
  else if (typeof v === "string") n = Number(v);
  else n = v.toNumber();
  if (!Number.isSafeInteger(n)) fail(`${what} is ${String(n)}, outside the range Verity accepts (|x| < 2^53)`);
  return n;
}

function copyBytes(src: Uint8Array, byteLength: number): ArrayBuffer {
  const buf = new ArrayBuffer(byteLength);
  new Uint8Array(buf).set(src.subarray(0, byteLength));
  return buf;
}

function readFloat32LE(raw: Uint8Array, n: number): Float32Array {
  if (LITTLE_ENDIAN_HOST) return new Float32Array(copyBytes(raw, n * 4));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  return out;
}

function readFloat64LE(raw: Uint8Array, n: number): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
  return out;
}

/** Little-endian integers of `size` bytes (1, 2, 4 or 8), signed or not, as JS numbers (exact or rejected). */
function readIntLE(raw: Uint8Array, n: number, size: number, signed: boolean, label: string, fail: Fail): number[] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    let v: number;
    if (size === 1) v = signed ? dv.getInt8(o) : dv.getUint8(o);
    else if (size === 2) v = signed ? dv.getInt16(o, true) : dv.getUint16(o, true);
    else if (size === 4) v = signed ? dv.getInt32(o, true) : dv.getUint32(o, true);
    else {
      const lo = dv.getUint32(o, true);
      const hi = signed ? dv.getInt32(o + 4, true) : dv.getUint32(o + 4, true);
      if (hi >= 0x200000 || hi < -0x200000) fail(`${label} holds a 64-bit value beyond 2^53 at flat index ${i}`);
      v = hi * 4294967296 + lo;
    }
    out[i] = v;
  }
  return out;
}

const INT_TYPES: Readonly<
  Record<number, { size: number; signed: boolean; field: "int32_data" | "int64_data" | "uint64_data" }>
> = {
  [OnnxDataType.INT64]: { size: 8, signed: true, field: "int64_data" },
  [OnnxDataType.INT32]: { size: 4, signed: true, field: "int32_data" },
  [OnnxDataType.INT16]: { size: 2, signed: true, field: "int32_data" },
  [OnnxDataType.INT8]: { size: 1, signed: true, field: "int32_data" },
  [OnnxDataType.UINT8]: { size: 1, signed: false, field: "int32_data" },
  [OnnxDataType.UINT16]: { size: 2, signed: false, field: "int32_data" },
  [OnnxDataType.BOOL]: { size: 1, signed: false, field: "int32_data" },
  [OnnxDataType.UINT32]: { size: 4, signed: false, field: "uint64_data" },
  [OnnxDataType.UINT64]: { size: 8, signed: false, field: "uint64_data" },
};

function typeName(dt: number): string {
  return ONNX_DATA_TYPE_NAMES[dt] ?? `unknown type ${dt}`;
}

/** A decoded TensorProto as a Tensor; every problem goes to `fail` with `label` naming the tensor. */
function tensorFromProto(p: PTensor, label: string, fail: Fail): Tensor {
  const dims = (p.dims ?? []).map((d, i) => toInt(d, `${label} dimension ${i}`, fail));
  let count = 1;
  for (const d of dims) {
    if (d < 0) fail(`${label} has a negative dimension in dims [${dims.join(", ")}]`);
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      fail(`${label} has dims [${dims.join(", ")}], more than ${MAX_TENSOR_ELEMENTS} elements, which Verity refuses`);
    }
  }
  if (p.segment) fail(`${label} is a segmented tensor, which Verity does not read`);
  if (p.data_location === 1 || (p.external_data && p.external_data.length > 0)) {
    fail(
      `${label} stores its data in an external file, which Verity does not read; save the model with the weights ` +
        `embedded (python: onnx.save_model(model, path, save_as_external_data=False))`,
    );
  }
  const dt = p.data_type ?? 0;
  const raw = p.raw_data && p.raw_data.length > 0 ? p.raw_data : null;
  const mismatch = (have: number, unit: string): never =>
    fail(`${label} has ${have} ${unit}, but its dims [${dims.join(", ")}] need ${count} ${typeName(dt)} values`);

  if (dt === OnnxDataType.FLOAT || dt === OnnxDataType.DOUBLE) {
    const size = dt === OnnxDataType.FLOAT ? 4 : 8;
    let data: Float32Array;
    if (raw) {
      if (raw.length !== count * size) mismatch(raw.length, "bytes of raw_data");
      data = size === 4 ? readFloat32LE(raw, count) : readFloat64LE(raw, count);
    } else {
      const src = size === 4 ? (p.float_data ?? []) : (p.double_data ?? []);
      if (src.length !== count) mismatch(src.length, "values");
      data = Float32Array.from(src);
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        fail(`${label} contains ${data[i]} at flat index ${i}; values must be finite (NaN and Inf are rejected)`);
      }
    }
    return { dtype: "float32", dims, data };
  }
  const it = INT_TYPES[dt];
  if (it) {
    let data: number[];
    if (raw) {
      if (raw.length !== count * it.size) mismatch(raw.length, "bytes of raw_data");
      data = readIntLE(raw, count, it.size, it.signed, label, fail);
    } else {
      const src = (p[it.field] ?? []) as Int64Like[];
      if (src.length !== count) mismatch(src.length, "values");
      data = src.map((v, i) => toInt(v, `${label} value ${i}`, fail));
    }
    return { dtype: "int64", dims, data };
  }
  if (dt === OnnxDataType.UNDEFINED) fail(`${label} has no data_type`);
  return fail(`${label} has element type ${typeName(dt)}, which Verity does not read (use FLOAT or INT64)`);
}

function valueInfoFromProto(p: PValueInfo, role: string): ValueInfo {
  const name = p.name ?? "";
  if (!name) throw new InvalidModelError(`a graph ${role} has no name`);
  const tt = p.type?.tensor_type;
  if (!p.type || !tt) {
    throw new InvalidModelError(`graph ${role} '${name}' has no tensor type (sequences and maps are not supported)`);
  }
  let dtype: DataType;
  if (tt.elem_type === OnnxDataType.FLOAT) dtype = "float32";
  else if (tt.elem_type === OnnxDataType.INT64) dtype = "int64";
  else {
    throw new InvalidModelError(
      `graph ${role} '${name}' has element type ${typeName(tt.elem_type ?? 0)}; Verity accepts FLOAT (or INT64) tensors`,
    );
  }
  if (!tt.shape) {
    throw new InvalidModelError(
      `graph ${role} '${name}' has no shape; re-export the model with shapes (python: onnx.shape_inference.infer_shapes)`,
    );
  }
  const dims = (tt.shape.dim ?? []).map((d, i) => {
    if (!has(d, "dim_value")) return -1;
    const v = toInt(d.dim_value, `graph ${role} '${name}' dimension ${i}`, invalidModel);
    if (v < 0) throw new InvalidModelError(`graph ${role} '${name}' has a negative dimension ${v}`);
    return v;
  });
  return { name, dtype, dims };
}

function invalidModel(msg: string): never {
  throw new InvalidModelError(msg);
}

function attributeFromProto(a: PAttribute, node: string, op: string): AttributeValue {
  const label = `attribute '${a.name}' of node '${node}'`;
  if (a.ref_attr_name) throw new InvalidModelError(`${label} refers to a function attribute, invalid in a main graph`);
  const finite = (x: number): number => {
    if (!Number.isFinite(x)) throw new InvalidModelError(`${label} is ${x}; attribute values must be finite`);
    return x;
  };
  const present: Partial<Record<number, keyof PAttribute>> = {
    [OnnxAttributeType.FLOAT]: "f",
    [OnnxAttributeType.INT]: "i",
    [OnnxAttributeType.STRING]: "s",
    [OnnxAttributeType.TENSOR]: "t",
  };
  const field = present[a.type];
  if (field && !has(a, field)) {
    throw new InvalidModelError(
      `${label} declares type ${ONNX_ATTRIBUTE_TYPE_NAMES[a.type]} but carries no '${field}' value`,
    );
  }
  switch (a.type) {
    case OnnxAttributeType.FLOAT:
      return { kind: "float", value: finite(a.f ?? 0) };
    case OnnxAttributeType.INT:
      return { kind: "int", value: toInt(a.i, label, invalidModel) };
    case OnnxAttributeType.STRING: {
      let value: string;
      try {
        value = utf8.decode(a.s ?? new Uint8Array(0));
      } catch {
        throw new InvalidModelError(`${label} is not valid UTF-8`);
      }
      return { kind: "string", value };
    }
    case OnnxAttributeType.TENSOR:
      if (!a.t) throw new InvalidModelError(`${label} is a TENSOR attribute without a tensor`);
      return { kind: "tensor", value: tensorFromProto(a.t, label, invalidModel) };
    case OnnxAttributeType.FLOATS:
      return { kind: "floats", value: (a.floats ?? []).map(finite) };
    case OnnxAttributeType.INTS:
      return { kind: "ints", value: (a.ints ?? []).map((v) => toInt(v, label, invalidModel)) };
    case OnnxAttributeType.UNDEFINED:
      throw new InvalidModelError(`${label} has no type (ONNX IR >= 3 requires AttributeProto.type)`);
    default:
      throw new UnsupportedOperatorError(
        node,
        op,
        SUPPORTED_OPERATORS,
        `attribute '${a.name}' of type ${ONNX_ATTRIBUTE_TYPE_NAMES[a.type] ?? `unknown (${a.type})`}`,
      );
  }
}

function nodeFromProto(p: PNode, index: number): DraftNode {
  const name = p.name || `${p.op_type}_${index}`;
  const attributes: Record<string, AttributeValue> = {};
  for (const a of p.attribute ?? []) {
    if (!a.name) throw new InvalidModelError(`node '${name}' has an attribute without a name`);
    if (has(attributes, a.name)) throw new InvalidModelError(`node '${name}' sets attribute '${a.name}' twice`);
    // defineProperty, not assignment: an attribute named "__proto__" must stay an ordinary own property.
    Object.defineProperty(attributes, a.name, {
      value: attributeFromProto(a, name, p.op_type),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    name,
    opType: p.op_type ?? "",
    domain: p.domain ?? "",
    inputs: [...(p.input ?? [])],
    outputs: [...(p.output ?? [])],
    attributes,
  };
}

/** Well-known non-ONNX file signatures, so that a wrong file gets a helpful message rather than a protobuf error. */
function sniffForeignFormat(b: Uint8Array): string | null {
  const starts = (...sig: number[]) => sig.every((x, i) => b[i] === x);
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "a PNG image";
  if (starts(0xff, 0xd8, 0xff)) return "a JPEG image";
  if (starts(0x50, 0x4b, 0x03, 0x04))
    return "a ZIP archive (a PyTorch .pt checkpoint? export it with torch.onnx.export)";
  if (starts(0x1f, 0x8b)) return "a gzip file (decompress it first)";
  if (starts(0x89, 0x48, 0x44, 0x46)) return "an HDF5 file (a Keras model? convert it with tf2onnx)";
  if (b.length >= 8 && b[4] === 0x54 && b[5] === 0x46 && b[6] === 0x4c && b[7] === 0x33) {
    return "a TFLite model (convert it with tf2onnx)";
  }
  if (starts(0x7b) || starts(0x5b)) return "a JSON document";
  const head = b.subarray(0, Math.min(b.length, 64));
  if (head.length >= 4 && head.every((c) => c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f))) {
    return "a text file";
  }
  return null;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------- public API

/**
 * Decodes ONNX ModelProto bytes into a validated float Graph (Constant nodes folded, nodes sorted topologically).
 * `opts.name` overrides the graph name recorded in the file.
 */
export function loadOnnx(bytes: Uint8Array, opts: { name?: string } = {}): Graph {
  try {
    return loadOnnxUnsafe(bytes, opts);
  } catch (e) {
    if (e instanceof VerityError) throw e;
    throw new OnnxDecodeError(`not a valid ONNX model: ${describeError(e)}`);
  }
}

function loadOnnxUnsafe(bytes: Uint8Array, opts: { name?: string }): Graph {
  if (!(bytes instanceof Uint8Array))
    throw new OnnxDecodeError("loadOnnx expects the model file's bytes (a Uint8Array)");
  if (bytes.length === 0) throw new OnnxDecodeError("the model file is empty (0 bytes)");
  const foreign = sniffForeignFormat(bytes);
  if (foreign) throw new OnnxDecodeError(`this is not an ONNX model: the bytes look like ${foreign}`);

  let model: PModel;
  try {
    model = ModelProtoType.decode(bytes) as unknown as PModel;
  } catch (e) {
    throw new OnnxDecodeError(
      `the ONNX protobuf could not be decoded (${describeError(e)}); the file is truncated or corrupted, ` +
        `re-export or re-download it`,
    );
  }
  const g = model.graph;
  if (!g || !has(model, "graph")) {
    throw new OnnxDecodeError("the bytes decode to no ONNX graph: this is not an ONNX model, or it is corrupted");
  }

  const defaults = (model.opset_import ?? []).filter((o) => !o.domain || o.domain === "ai.onnx");
  if (defaults.length === 0) {
    throw new InvalidModelError("the model imports no default-domain opset (opset_import has no '' / 'ai.onnx' entry)");
  }
  const opsetVersion = toInt(defaults[0].version, "the default-domain opset version", invalidModel);

  const protoNodes = g.node ?? [];
  checkOperators(
    protoNodes.map((n, i) => ({
      name: n.name || `${n.op_type}_${i}`,
      opType: n.op_type ?? "",
      domain: n.domain ?? "",
    })),
  );

  const initializers: [string, Tensor][] = (g.initializer ?? []).map((t) => {
    const name = t.name ?? "";
    return [name, tensorFromProto(t, `initializer '${name}'`, invalidModel)];
  });
  const initNames = new Set(initializers.map(([n]) => n));
  const inputs = (g.input ?? []).filter((vi) => !initNames.has(vi.name)).map((vi) => valueInfoFromProto(vi, "input"));
  const outputs = (g.output ?? []).map((vi) => valueInfoFromProto(vi, "output"));
  const nodes = protoNodes.map(nodeFromProto);

  return finalizeGraph({
    name: opts.name ?? g.name ?? "",
    opsetVersion,
    inputs,
    outputs,
    initializers,
    nodes,
  });
}

// ---------------------------------------------------------------------------------------------- encoding

function encodeDims(dims: readonly number[]): number[] {
  return [...dims];
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

function tensorToProto(t: Tensor, name: string): Record<string, unknown> {
  if (t.dtype === "float32") {
    return { name, dims: encodeDims(t.dims), data_type: OnnxDataType.FLOAT, raw_data: float32ToRaw(t.data) };
  }
  return { name, dims: encodeDims(t.dims), data_type: OnnxDataType.INT64, raw_data: int64ToRaw(t.data) };
}

function valueInfoToProto(v: ValueInfo): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.dtype === "float32" ? OnnxDataType.FLOAT : OnnxDataType.INT64,
        shape: { dim: v.dims.map((d, i) => (d >= 0 ? { dim_value: d } : { dim_param: i === 0 ? "N" : `d${i}` })) },
      },
    },
  };
}

function attributeToProto(name: string, a: AttributeValue): Record<string, unknown> {
  switch (a.kind) {
    case "int":
      return { name, type: OnnxAttributeType.INT, i: a.value };
    case "float":
      return { name, type: OnnxAttributeType.FLOAT, f: a.value };
    case "ints":
      return { name, type: OnnxAttributeType.INTS, ints: [...a.value] };
    case "floats":
      return { name, type: OnnxAttributeType.FLOATS, floats: [...a.value] };
    case "string":
      return { name, type: OnnxAttributeType.STRING, s: utf8Encoder.encode(a.value) };
    case "tensor":
      return { name, type: OnnxAttributeType.TENSOR, t: tensorToProto(a.value, "") };
  }
}

/**
 * Writes `graph` as an ONNX ModelProto (IR version 8 unless told otherwise, default-domain opset
 * `graph.opsetVersion`). Initializers are written as raw_data and are not listed as graph inputs.
 * `loadOnnx(encodeOnnx(g))` deep-equals `g` for any Graph that `loadOnnx` or `GraphBuilder.build` produced.
 */
export function encodeOnnx(graph: Graph, opts: { producerName?: string; irVersion?: number } = {}): Uint8Array {
  const model = {
    ir_version: opts.irVersion ?? DEFAULT_IR_VERSION,
    producer_name: opts.producerName ?? "verity",
    producer_version: "0.1.0",
    opset_import: [{ domain: "", version: graph.opsetVersion }],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        op_type: n.opType,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes).map(([k, v]) => attributeToProto(k, v)),
      })),
      initializer: [...graph.initializers].map(([name, t]) => tensorToProto(t, name)),
      input: graph.inputs.map(valueInfoToProto),
      output: graph.outputs.map(valueInfoToProto),
    },
  };
  return ModelProtoType.encode(model).finish();
}

/**
 * Decodes a bare TensorProto (the `.pb` files of ONNX's test data, e.g. `test_data_set_0/input_0.pb`).
 * Throws InvalidInputError when the bytes are not a usable tensor (corrupted, unsupported type, NaN/Inf...).
 */
export function decodeTensorProto(bytes: Uint8Array): Tensor {
  const fail: Fail = (msg) => {
    throw new InvalidInputError(msg);
  };
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail("the TensorProto file is empty");
    const foreign = sniffForeignFormat(bytes);
    if (foreign && foreign !== "a text file") fail(`this is not an ONNX TensorProto: the bytes look like ${foreign}`);
    let p: PTensor;
    try {
      p = TensorProtoType.decode(bytes) as unknown as PTensor;
    } catch (e) {
      return fail(`the TensorProto could not be decoded (${describeError(e)}); the file is truncated or corrupted`);
    }
    const label = p.name ? `tensor '${p.name}'` : "the input tensor";
    const t = tensorFromProto(p, label, fail);
    checkTensor(t, label, fail);
    return t;
  } catch (e) {
    if (e instanceof VerityError) throw e;
    throw new InvalidInputError(`not a valid ONNX TensorProto: ${describeError(e)}`);
  }
}

/** Encodes `t` as a bare TensorProto (raw_data, little-endian), readable by `decodeTensorProto` and by onnx. */
export function encodeTensorProto(t: Tensor, name = ""): Uint8Array {
  return TensorProtoType.encode(tensorToProto(t, name)).finish();
}
