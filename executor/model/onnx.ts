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
 *
 * The protobuf schema is the `onnx-proto` package (onnx.proto of ONNX 1.10, IR 8, compiled by protobufjs): this
 * module decodes with it and assembles the Graph, executor/model/onnx-read.ts converts the decoded messages, and
 * executor/model/onnx-write.ts writes the bytes. Strings are not checked for valid UTF-8: protobufjs decodes an
 * invalid sequence leniently, the same way in Node and in a browser (see `plainBytes`).
 */
import { onnx } from "onnx-proto";
import { InvalidInputError, InvalidModelError, OnnxDecodeError, VerityError } from "../errors";
import type { Graph, Tensor } from "./graph";
import { has, invalidModel, nodeFromProto, tensorFromProto, toInt, valueInfoFromProto, type Fail } from "./onnx-read";
import { checkOpset } from "./opset/versions";
import { canonicalGraph } from "./simplify";
import { checkOperators, checkTensor, finalizeGraph } from "./validate";

export { DEFAULT_IR_VERSION, encodeGraphProto, encodeOnnx, encodeTensorProto } from "./onnx-write";

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

/**
 * `bytes` as a plain Uint8Array view (no copy). protobufjs reads a Node Buffer with a different reader (strings
 * through Buffer#utf8Slice, a string running past the end truncated rather than rejected), so a Buffer from
 * fs.readFileSync would decode differently from the same bytes in a browser; a plain view decodes the same
 * everywhere.
 */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------- public API

/**
 * Decodes ONNX ModelProto bytes into a validated float Graph (Constant nodes folded, nodes sorted topologically),
 * as the file states it (its opset, its nodes: `encodeOnnx` writes it back byte for byte), after checking that its
 * canonical form exists (executor/model/simplify: opset rewrites, input shapes, folding, patterns, every remaining
 * operator supported); quantization and the float reference work on that canonical form.
 * `opts.name` overrides the graph name recorded in the file.
 */
export function loadOnnx(bytes: Uint8Array, opts: { name?: string } = {}): Graph {
  const graph = guard(() => loadOnnxUnsafe(bytes, opts, true));
  guard(() => canonicalGraph(graph));
  return graph;
}

/**
 * The graph as the file states it, structurally validated (rules of executor/model/validate.ts) but not checked
 * for operator support: what `verity model inspect` starts from (executor/model/simplify `prepareGraph`).
 */
export function decodeOnnx(bytes: Uint8Array, opts: { name?: string } = {}): Graph {
  return guard(() => loadOnnxUnsafe(bytes, opts, false));
}

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof VerityError) throw e;
    throw new OnnxDecodeError(`not a valid ONNX model: ${describeError(e)}`);
  }
}

function loadOnnxUnsafe(bytes: Uint8Array, opts: { name?: string }, knownOnly: boolean): Graph {
  if (!(bytes instanceof Uint8Array))
    throw new OnnxDecodeError("loadOnnx expects the model file's bytes (a Uint8Array)");
  if (bytes.length === 0) throw new OnnxDecodeError("the model file is empty (0 bytes)");
  const foreign = sniffForeignFormat(bytes);
  if (foreign) throw new OnnxDecodeError(`this is not an ONNX model: the bytes look like ${foreign}`);

  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(plainBytes(bytes));
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

  const defaults = (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === "ai.onnx");
  if (defaults.length === 0) {
    throw new InvalidModelError("the model imports no default-domain opset (opset_import has no '' / 'ai.onnx' entry)");
  }
  const opsetVersion = toInt(defaults[0].version, "the default-domain opset version", invalidModel);

  checkOpset(g.name || "model", opsetVersion);
  const protoNodes = g.node ?? [];
  checkOperators(
    protoNodes.map((n, i) => ({
      name: n.name || `${n.opType}_${i}`,
      opType: n.opType ?? "",
      domain: n.domain ?? "",
    })),
    opsetVersion,
    knownOnly,
  );

  const initializers: [string, Tensor][] = (g.initializer ?? []).map((t) => {
    const name = t.name ?? "";
    return [name, tensorFromProto(t, `initializer '${name}'`, invalidModel)];
  });
  const initNames = new Set(initializers.map(([n]) => n));
  const inputs = (g.input ?? [])
    .filter((vi) => !initNames.has(vi.name ?? ""))
    .map((vi) => valueInfoFromProto(vi, "input"));
  const outputs = (g.output ?? []).map((vi) => valueInfoFromProto(vi, "output"));
  const nodes = protoNodes.map(nodeFromProto);

  return finalizeGraph(
    { name: opts.name ?? g.name ?? "", opsetVersion, inputs, outputs, initializers, nodes },
    knownOnly,
  );
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
    let p: onnx.TensorProto;
    try {
      p = onnx.TensorProto.decode(plainBytes(bytes));
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
