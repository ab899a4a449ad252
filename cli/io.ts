/**
 * File input for the CLI: tensors (JSON or ONNX TensorProto `.pb`), calibration sets, and model sources
 * (a float `.onnx` file, or a directory written by `verity model import`). Every failure is a VerityError with a
 * message that names the file and says what is wrong.
 */
import * as fs from "fs";
import * as path from "path";
import { InvalidInputError, ShapeMismatchError } from "../executor/errors";
import { decodeTensorProto } from "../executor/model/onnx";

/** A float tensor read from a file: row-major data and the dims the file gave (nested JSON, --shape or .pb). */
export interface FloatTensor {
  readonly data: Float32Array;
  /** null for a flat JSON array without --shape: only the element count is known. */
  readonly dims: number[] | null;
}

/** A file named on the command line is missing or unreadable. */
export class FileAccessError extends InvalidInputError {}

export function readFileBytes(file: string, what: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new FileAccessError(`${what} '${file}' does not exist`);
  }
  if (stat.isDirectory()) throw new FileAccessError(`${what} '${file}' is a directory, not a file`);
  try {
    return new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw new FileAccessError(`cannot read ${what} '${file}': ${(e as Error).message}`);
  }
}

function parseJsonFile(file: string, what: string): unknown {
  const text = new TextDecoder().decode(readFileBytes(file, what));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidInputError(`${what} '${file}' is not valid JSON: ${(e as Error).message}`);
  }
}

/** Dims and row-major values of a nested (rectangular) JSON array of finite numbers. */
function flattenNested(value: unknown, file: string): { dims: number[]; values: number[] } {
  const dims: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) {
    if (v.length === 0) throw new InvalidInputError(`'${file}': empty array at depth ${dims.length}`);
    dims.push(v.length);
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number, where: string): void => {
    if (depth === dims.length) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new InvalidInputError(
          `'${file}': element ${where} is ${JSON.stringify(v) ?? String(v)}, expected a finite number`,
        );
      }
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw new ShapeMismatchError(
        `'${file}': the nested array is not rectangular at ${where || "the top level"} (expected ${dims[depth]} entries)`,
      );
    }
    v.forEach((x, i) => walk(x, depth + 1, `${where}[${i}]`));
  };
  walk(value, 0, "");
  return { dims, values };
}

/** Parses "1,784" or "1x28x28" into dims. */
export function parseShape(text: string): number[] {
  const parts = text.split(/[,x×\s]+/).filter((s) => s.length > 0);
  const dims = parts.map((s) => Number(s));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new InvalidInputError(`--shape '${text}' is not a list of positive integers such as 1,784`);
  }
  return dims;
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Reads one input tensor: a JSON array (nested, or flat with `shape`) or a `.pb` TensorProto. */
export function readTensorFile(file: string, shape?: number[]): FloatTensor {
  let data: Float32Array;
  let dims: number[] | null;
  if (file.toLowerCase().endsWith(".pb")) {
    const t = decodeTensorProto(readFileBytes(file, "input file"));
    data = t.dtype === "float32" ? t.data : Float32Array.from(t.data);
    dims = [...t.dims];
  } else {
    const json = parseJsonFile(file, "input file");
    const value = isRecord(json) && Array.isArray(json.input) ? json.input : json;
    if (!Array.isArray(value)) {
      throw new InvalidInputError(
        `input file '${file}' must hold a JSON array of numbers (nested, or flat with --shape)`,
      );
    }
    const flat = flattenNested(value, file);
    data = Float32Array.from(flat.values);
    dims = flat.dims.length === 1 ? null : flat.dims;
  }
  if (shape) {
    if (product(shape) !== data.length) {
      throw new ShapeMismatchError(
        `--shape ${shape.join(",")} has ${product(shape)} elements but '${file}' holds ${data.length}`,
      );
    }
    dims = shape;
  }
  return { data, dims };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function withoutLeadingOnes(dims: readonly number[]): number[] {
  let i = 0;
  while (i < dims.length - 1 && dims[i] === 1) i++;
  return dims.slice(i);
}

/**
 * Checks a tensor against the model's input shape. Dims must agree up to leading 1s ([784] fits [1, 784]);
 * a flat array without dims only needs the right element count.
 */
export function checkInputShape(t: FloatTensor, modelShape: readonly number[], file: string): void {
  const want = product(modelShape);
  const got = t.dims ?? [t.data.length];
  const same = withoutLeadingOnes(got).join(",") === withoutLeadingOnes(modelShape).join(",");
  if (t.data.length !== want || (t.dims !== null && !same)) {
    throw new ShapeMismatchError(
      `'${file}' holds a tensor of shape [${got.join(", ")}] (${t.data.length} values), but the model expects ` +
        `shape [${modelShape.join(", ")}] (${want} values)`,
    );
  }
}

/** A calibration set: samples (each flattened to the model input size) and the labels if the file has them. */
export interface CalibrationSet {
  readonly samples: Float32Array[];
  readonly labels: (number | undefined)[];
}

/**
 * Reads calibration files: JSON `{images: number[][], labels?: number[]}` (the format of models/*.json), a JSON
 * array of samples, a single flat sample, or a `.pb` TensorProto whose leading dimension is the batch.
 * Every sample must have `inputSize` values.
 */
export function readCalibration(files: readonly string[], inputSize: number): CalibrationSet {
  const samples: Float32Array[] = [];
  const labels: (number | undefined)[] = [];
  const take = (values: Float32Array, file: string, label?: number): void => {
    if (values.length !== inputSize) {
      throw new ShapeMismatchError(
        `calibration sample ${samples.length} in '${file}' has ${values.length} values; the model input has ${inputSize}`,
      );
    }
    samples.push(values);
    labels.push(label);
  };
  for (const file of files) {
    if (file.toLowerCase().endsWith(".pb")) {
      const t = readTensorFile(file);
      if (t.data.length % inputSize !== 0) {
        throw new ShapeMismatchError(
          `calibration tensor '${file}' has ${t.data.length} values, not a multiple of the model input size ${inputSize}`,
        );
      }
      for (let o = 0; o < t.data.length; o += inputSize) take(t.data.slice(o, o + inputSize), file);
      continue;
    }
    const json = parseJsonFile(file, "calibration file");
    let images: unknown;
    let fileLabels: unknown;
    if (isRecord(json)) {
      images = json.images ?? json.inputs;
      fileLabels = json.labels;
    } else images = json;
    if (!Array.isArray(images) || images.length === 0) {
      throw new InvalidInputError(
        `calibration file '${file}' must be {"images": [[...], ...], "labels"?: [...]} or a non-empty JSON array`,
      );
    }
    if (fileLabels !== undefined && (!Array.isArray(fileLabels) || fileLabels.length !== images.length)) {
      throw new InvalidInputError(`calibration file '${file}': "labels" must be an array with one label per image`);
    }
    const labelOf = (i: number): number | undefined => {
      const l = Array.isArray(fileLabels) ? (fileLabels[i] as unknown) : undefined;
      return typeof l === "number" ? l : undefined;
    };
    if (images.every((v) => typeof v === "number")) {
      take(Float32Array.from(flattenNested(images, file).values), file);
      continue;
    }
    images.forEach((img, i) => take(Float32Array.from(flattenNested(img, file).values), file, labelOf(i)));
  }
  if (samples.length === 0) throw new InvalidInputError("the calibration set is empty");
  return { samples, labels };
}

/** True if `p` is a directory written by `verity model import` (it holds program.bin). */
export function isProgramDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, "program.bin"));
  } catch {
    return false;
  }
}
