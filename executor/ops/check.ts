/**
 * The checks an operator's `validate` is made of, bound to one layer: every failure is a ProgramDecodeError that
 * names the layer and the reason, `layer <i> (<op>): <reason>`.
 */
import { ProgramDecodeError } from "../errors";
import { shapeSize, tensorShape } from "../runtime/layout";
import {
  type Layer,
  type Program,
  MAX_ACCUMULATOR,
  MAX_LAYER_WORK,
  MAX_MULTIPLIER,
  MAX_SHIFT,
  MIN_SHIFT,
} from "../runtime/types";

/** The optional parameter arrays of a layer. */
export type ParamField = "weights" | "bias" | "multiplier" | "shift" | "lut";

export function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

export class LayerCheck {
  /** The layer's output shape (already checked: at most 8 positive dims, at most 2^24 elements). */
  readonly out: number[];
  readonly outSize: number;
  /** The shape and size of its first input. */
  readonly inShape: number[];
  readonly inSize: number;
  /** How many inputs it reads (already checked: 1..maxInputs valid tensor ids). */
  readonly nIn: number;

  constructor(
    readonly program: Program,
    readonly layer: Layer,
    /** The layer's index in the program. */
    readonly index: number,
  ) {
    this.out = layer.outShape;
    this.outSize = shapeSize(this.out);
    this.inShape = tensorShape(program, layer.inputs[0]);
    this.inSize = shapeSize(this.inShape);
    this.nIn = layer.inputs.length;
  }

  fail(reason: string): never {
    throw new ProgramDecodeError(`layer ${this.index} (${this.layer.op}): ${reason}`);
  }

  /** Shape of tensor `id` of the program. */
  shapeOf(id: number): number[] {
    return tensorShape(this.program, id);
  }

  /** An integer attribute in [min, max]. */
  scalar(name: string, min: number, max: number): number {
    const v = this.layer.attrs[name];
    if (!isInt(v) || v < min || v > max) this.fail(`attribute '${name}' must be an integer in [${min}, ${max}]`);
    return v;
  }

  /** An attribute of exactly `len` integers in [min, max]. */
  ints(name: string, len: number, min: number, max: number): number[] {
    const v = this.layer.attrs[name];
    if (!Array.isArray(v) || v.length !== len || v.some((x) => !isInt(x) || x < min || x > max)) {
      this.fail(`attribute '${name}' must be ${len} integers in [${min}, ${max}]`);
    }
    return v;
  }

  /** A zero point: an integer attribute in [-128, 127]. */
  zeroPoint(name: string): number {
    return this.scalar(name, -128, 127);
  }

  /** The output clamp: zero points clampMin <= clampMax. */
  clamp(): void {
    const lo = this.zeroPoint("clampMin");
    const hi = this.zeroPoint("clampMax");
    if (lo > hi) this.fail("clampMin > clampMax");
  }

  /** The parameter array has exactly `len` entries, or (null) is absent. */
  expect(field: ParamField, len: number | null): void {
    const arr = this.layer[field];
    if (len === null) {
      if (arr !== undefined) this.fail(`unexpected '${field}'`);
      return;
    }
    if (arr === undefined || arr.length !== len) this.fail(`'${field}' must have ${len} entries`);
  }

  /** Each of these parameter arrays is absent, checked in this order. */
  absent(...fields: ParamField[]): void {
    for (const f of fields) this.expect(f, null);
  }

  /** Requantization multipliers in [0, 2^15) and shifts in [MIN_SHIFT, MAX_SHIFT], per channel or one for all. */
  requant(channels: number): void {
    const m = this.layer.multiplier;
    const s = this.layer.shift;
    if (!m || !s || (m.length !== channels && m.length !== 1) || s.length !== m.length) {
      this.fail(`multiplier/shift must have ${channels} or 1 entries`);
    }
    for (let c = 0; c < m.length; c++) {
      if (m[c] < 0 || m[c] >= MAX_MULTIPLIER) this.fail(`multiplier ${m[c]} outside [0, 2^15)`);
      if (s[c] < MIN_SHIFT || s[c] > MAX_SHIFT) this.fail(`shift ${s[c]} outside [${MIN_SHIFT}, ${MAX_SHIFT}]`);
    }
  }

  /** |bias| + rowLen products of int8 by (x - z) stay below MAX_ACCUMULATOR (2^37). */
  accumulator(rowLen: number): void {
    let maxBias = 0;
    if (this.layer.bias) for (const b of this.layer.bias) maxBias = Math.max(maxBias, Math.abs(b));
    if (maxBias + rowLen * 128 * 255 >= MAX_ACCUMULATOR) this.fail("accumulator bound exceeds 2^37");
  }

  /** The layer's multiply-adds (or window taps) are at most MAX_LAYER_WORK. */
  work(work: number): void {
    if (work > MAX_LAYER_WORK) this.fail(`${work} multiply-adds exceed the 2^31 per-layer bound`);
  }

  /**
   * The output size along one axis must be what ONNX gives for these pads, kernel, dilation and stride, with the
   * floor or the ceil rule: out - 1 in {floor(span / s), ceil(span / s)}, span = size + padBegin + padEnd - extent >= 0.
   */
  window(size: number, pBegin: number, pEnd: number, k: number, d: number, s: number, out: number): void {
    const span = size + pBegin + pEnd - ((k - 1) * d + 1);
    if (span < 0 || (out - 1 !== Math.floor(span / s) && out - 1 !== Math.ceil(span / s))) {
      this.fail(
        `output size ${out} does not follow from input ${size}, pads ${pBegin}/${pEnd}, kernel ${k}, dilation ${d}, stride ${s}`,
      );
    }
  }
}
