/**
 * Decoded ONNX messages (the protobufjs classes of the `onnx-proto` package) to the pieces of a float `Graph`:
 * tensors, graph inputs and outputs, attributes and nodes. Every problem goes to a `Fail` callback or throws a
 * `VerityError` naming the tensor, node or attribute at fault; executor/model/onnx.ts assembles the Graph.
 *
 * int64 fields come out of protobufjs as a JS number or a `Long` (when the `long` package is installed, as in
 * Node): `toInt` turns either into a number and rejects what does not fit in a safe integer.
 */
import { onnx } from "onnx-proto";
import { InvalidModelError, UnsupportedOperatorError } from "../errors";
import { SUPPORTED_OPERATORS, type AttributeValue, type DataType, type Tensor, type ValueInfo } from "./graph";
import { MAX_TENSOR_ELEMENTS, type DraftNode } from "./validate";

export type Fail = (msg: string) => never;

/** An int64 field as protobufjs decodes it. */
export type Int64 = number | Long;

export const DT = onnx.TensorProto.DataType;
export const AT = onnx.AttributeProto.AttributeType;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextDecoder("utf-8", { fatal: true });

export function has(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** A protobufjs int64 as a JS number, rejecting values outside the safe-integer range. */
export function toInt(v: Int64 | undefined | null, what: string, fail: Fail): number {
  let n: number;
  if (v === undefined || v === null) n = 0;
  else if (typeof v === "number") n = v;
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
  Record<number, { size: number; signed: boolean; field: "int32Data" | "int64Data" | "uint64Data" }>
> = {
  [DT.INT64]: { size: 8, signed: true, field: "int64Data" },
  [DT.INT32]: { size: 4, signed: true, field: "int32Data" },
  [DT.INT16]: { size: 2, signed: true, field: "int32Data" },
  [DT.INT8]: { size: 1, signed: true, field: "int32Data" },
  [DT.UINT8]: { size: 1, signed: false, field: "int32Data" },
  [DT.UINT16]: { size: 2, signed: false, field: "int32Data" },
  [DT.BOOL]: { size: 1, signed: false, field: "int32Data" },
  [DT.UINT32]: { size: 4, signed: false, field: "uint64Data" },
  [DT.UINT64]: { size: 8, signed: false, field: "uint64Data" },
};

/** The onnx.proto name of an element type (TensorProto.DataType), e.g. "FLOAT". */
export function typeName(dt: number): string {
  return DT[dt] ?? `unknown type ${dt}`;
}

/** A decoded TensorProto as a Tensor; every problem goes to `fail` with `label` naming the tensor. */
export function tensorFromProto(p: onnx.ITensorProto, label: string, fail: Fail): Tensor {
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
  if (p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (p.externalData && p.externalData.length > 0)) {
    fail(
      `${label} stores its data in an external file, which Verity does not read; save the model with the weights ` +
        `embedded (python: onnx.save_model(model, path, save_as_external_data=False))`,
    );
  }
  const dt = p.dataType ?? 0;
  const raw = p.rawData && p.rawData.length > 0 ? p.rawData : null;
  const mismatch = (have: number, unit: string): never =>
    fail(`${label} has ${have} ${unit}, but its dims [${dims.join(", ")}] need ${count} ${typeName(dt)} values`);

  if (dt === DT.FLOAT || dt === DT.DOUBLE) {
    const size = dt === DT.FLOAT ? 4 : 8;
    let data: Float32Array;
    if (raw) {
      if (raw.length !== count * size) mismatch(raw.length, "bytes of raw_data");
      data = size === 4 ? readFloat32LE(raw, count) : readFloat64LE(raw, count);
    } else {
      const src = size === 4 ? (p.floatData ?? []) : (p.doubleData ?? []);
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
      const src: readonly Int64[] = p[it.field] ?? [];
      if (src.length !== count) mismatch(src.length, "values");
      data = src.map((v, i) => toInt(v, `${label} value ${i}`, fail));
    }
    return { dtype: "int64", dims, data };
  }
  if (dt === DT.UNDEFINED) fail(`${label} has no data_type`);
  return fail(`${label} has element type ${typeName(dt)}, which Verity does not read (use FLOAT or INT64)`);
}

export function invalidModel(msg: string): never {
  throw new InvalidModelError(msg);
}

export function valueInfoFromProto(p: onnx.IValueInfoProto, role: string): ValueInfo {
  const name = p.name ?? "";
  if (!name) throw new InvalidModelError(`a graph ${role} has no name`);
  const tt = p.type?.tensorType;
  if (!p.type || !tt) {
    throw new InvalidModelError(`graph ${role} '${name}' has no tensor type (sequences and maps are not supported)`);
  }
  let dtype: DataType;
  if (tt.elemType === DT.FLOAT) dtype = "float32";
  else if (tt.elemType === DT.INT64) dtype = "int64";
  else {
    throw new InvalidModelError(
      `graph ${role} '${name}' has element type ${typeName(tt.elemType ?? 0)}; Verity accepts FLOAT (or INT64) tensors`,
    );
  }
  if (!tt.shape) {
    throw new InvalidModelError(
      `graph ${role} '${name}' has no shape; re-export the model with shapes (python: onnx.shape_inference.infer_shapes)`,
    );
  }
  const dims = (tt.shape.dim ?? []).map((d, i) => {
    if (!has(d, "dimValue")) return -1;
    const v = toInt(d.dimValue, `graph ${role} '${name}' dimension ${i}`, invalidModel);
    if (v < 0) throw new InvalidModelError(`graph ${role} '${name}' has a negative dimension ${v}`);
    return v;
  });
  return { name, dtype, dims };
}

/** The field that carries the value of each single-valued attribute type. */
const VALUE_FIELD: Partial<Record<number, "f" | "i" | "s" | "t">> = {
  [AT.FLOAT]: "f",
  [AT.INT]: "i",
  [AT.STRING]: "s",
  [AT.TENSOR]: "t",
};

function attributeFromProto(a: onnx.IAttributeProto, node: string, op: string): AttributeValue {
  const label = `attribute '${a.name}' of node '${node}'`;
  if (a.refAttrName) throw new InvalidModelError(`${label} refers to a function attribute, invalid in a main graph`);
  const finite = (x: number): number => {
    if (!Number.isFinite(x)) throw new InvalidModelError(`${label} is ${x}; attribute values must be finite`);
    return x;
  };
  const type = a.type ?? AT.UNDEFINED;
  const field = VALUE_FIELD[type];
  if (field && !has(a, field)) {
    throw new InvalidModelError(`${label} declares type ${AT[type]} but carries no '${field}' value`);
  }
  switch (type) {
    case AT.FLOAT:
      return { kind: "float", value: finite(a.f ?? 0) };
    case AT.INT:
      return { kind: "int", value: toInt(a.i, label, invalidModel) };
    case AT.STRING: {
      let value: string;
      try {
        value = utf8.decode(a.s ?? new Uint8Array(0));
      } catch {
        throw new InvalidModelError(`${label} is not valid UTF-8`);
      }
      return { kind: "string", value };
    }
    case AT.TENSOR:
      if (!a.t) throw new InvalidModelError(`${label} is a TENSOR attribute without a tensor`);
      return { kind: "tensor", value: tensorFromProto(a.t, label, invalidModel) };
    case AT.FLOATS:
      return { kind: "floats", value: (a.floats ?? []).map(finite) };
    case AT.INTS:
      return { kind: "ints", value: (a.ints ?? []).map((v) => toInt(v, label, invalidModel)) };
    case AT.GRAPH:
      // kept as bytes, never read: the node is refused (ControlFlowError), inspect reports it
      if (a.g && has(a, "g")) return { kind: "graph", value: onnx.GraphProto.encode(a.g).finish() };
      break;
    case AT.GRAPHS:
      if ((a.graphs ?? []).length > 0)
        return { kind: "graphs", value: (a.graphs ?? []).map((g) => onnx.GraphProto.encode(g).finish()) };
      break;
    case AT.UNDEFINED:
      throw new InvalidModelError(`${label} has no type (ONNX IR >= 3 requires AttributeProto.type)`);
  }
  throw new UnsupportedOperatorError(
    node,
    op,
    SUPPORTED_OPERATORS,
    `attribute '${a.name}' of type ${AT[type] ?? `unknown (${type})`}`,
  );
}

export function nodeFromProto(p: onnx.INodeProto, index: number): DraftNode {
  const name = p.name || `${p.opType}_${index}`;
  const attributes: Record<string, AttributeValue> = {};
  for (const a of p.attribute ?? []) {
    if (!a.name) throw new InvalidModelError(`node '${name}' has an attribute without a name`);
    if (has(attributes, a.name)) throw new InvalidModelError(`node '${name}' sets attribute '${a.name}' twice`);
    // defineProperty, not assignment: an attribute named "__proto__" must stay an ordinary own property.
    Object.defineProperty(attributes, a.name, {
      value: attributeFromProto(a, name, p.opType ?? ""),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return {
    name,
    opType: p.opType ?? "",
    domain: p.domain ?? "",
    inputs: [...(p.input ?? [])],
    outputs: [...(p.output ?? [])],
    attributes,
  };
}
