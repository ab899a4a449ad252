/**
 * The canonical binary encoding of a program (little-endian); `decodeProgram` also validates.
 *
 *   "VRTY" | u32 version | str name | shape input | shape output | qparams input | qparams output | u32 L | layer*L
 *   str     = u32 byteLength, UTF-8 bytes
 *   shape   = u32 rank, u32 dims...
 *   qparams = f64 scale, i32 zeroPoint
 *   layer   = str op | u32 nInputs, u32 ids... | u32 output | shape outShape | u32 nAttrs, attr* (keys strictly
 *             ascending by UTF-16 code unit order) | u8 presence bits (1 weights, 2 bias, 4 multiplier, 8 shift,
 *             16 lut) | each present array in that order: u32 length, then int8 bytes or i32 values
 *   attr    = str key, u8 tag (0 = i32 scalar, 1 = i32 array), i32 | (u32 length, i32...)
 */
import { ProgramDecodeError } from "../errors";
import type { Layer, Program, QParams } from "./types";
import { validateProgram } from "./validate";

function fail(msg: string): never {
  throw new ProgramDecodeError(msg);
}

const MAGIC = [0x56, 0x52, 0x54, 0x59]; // "VRTY"

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.len, v, true);
    this.len += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length)
      fail(`program truncated at byte ${this.pos} (needs ${n} more, has ${this.buf.length - this.pos})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  count(elemSize: number, what: string): number {
    const n = this.u32();
    if (n * elemSize > this.buf.length - this.pos)
      fail(`${what}: length ${n} exceeds the remaining ${this.buf.length - this.pos} bytes`);
    return n;
  }
  /** A fresh copy that owns its ArrayBuffer (also when the input is a Node Buffer from a shared pool). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = new Uint8Array(n);
    b.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  str(what: string): string {
    const n = this.count(1, what);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(n));
    } catch {
      return fail(`${what}: invalid UTF-8`);
    }
  }
  end(): boolean {
    return this.pos === this.buf.length;
  }
}

function writeShape(w: Writer, dims: readonly number[]): void {
  w.u32(dims.length);
  for (const d of dims) w.u32(d);
}

function readShape(r: Reader, what: string): number[] {
  const n = r.count(4, what);
  const dims: number[] = [];
  for (let k = 0; k < n; k++) dims.push(r.u32());
  return dims;
}

function assertI32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${what}: ${v} is not an int32`);
  return v;
}

/** Canonical bytes of a program: the same program always encodes to the same bytes. */
export function encodeProgram(p: Program): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.u8(b);
  w.u32(p.version);
  w.str(p.name);
  writeShape(w, p.inputShape);
  writeShape(w, p.outputShape);
  for (const q of [p.input, p.output]) {
    w.f64(q.scale);
    w.i32(assertI32(q.zeroPoint, "zeroPoint"));
  }
  w.u32(p.layers.length);
  for (const layer of p.layers) {
    w.str(layer.op);
    w.u32(layer.inputs.length);
    for (const t of layer.inputs) w.u32(t);
    w.u32(layer.output);
    writeShape(w, layer.outShape);
    const keys = Object.keys(layer.attrs).sort();
    w.u32(keys.length);
    for (const key of keys) {
      w.str(key);
      const v = layer.attrs[key];
      if (Array.isArray(v)) {
        w.u8(1);
        w.u32(v.length);
        for (const x of v) w.i32(assertI32(x, `attribute ${key}`));
      } else {
        w.u8(0);
        w.i32(assertI32(v, `attribute ${key}`));
      }
    }
    const present =
      (layer.weights ? 1 : 0) |
      (layer.bias ? 2 : 0) |
      (layer.multiplier ? 4 : 0) |
      (layer.shift ? 8 : 0) |
      (layer.lut ? 16 : 0);
    w.u8(present);
    if (layer.weights) {
      w.u32(layer.weights.length);
      w.bytes(new Uint8Array(layer.weights.buffer, layer.weights.byteOffset, layer.weights.length));
    }
    for (const arr of [layer.bias, layer.multiplier, layer.shift]) {
      if (!arr) continue;
      w.u32(arr.length);
      for (const x of arr) w.i32(x);
    }
    if (layer.lut) {
      w.u32(layer.lut.length);
      w.bytes(new Uint8Array(layer.lut.buffer, layer.lut.byteOffset, layer.lut.length));
    }
  }
  return w.result();
}

/** Inverse of encodeProgram. Any malformed or non-canonical input throws ProgramDecodeError. */
export function decodeProgram(bytes: Uint8Array): Program {
  if (!(bytes instanceof Uint8Array)) fail("program bytes must be a Uint8Array");
  const r = new Reader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  for (let k = 0; k < 4; k++) if (r.u8() !== MAGIC[k]) fail('not a Verity program (magic "VRTY" missing)');
  const version = r.u32();
  if (version !== 1) fail(`unsupported program version ${version} (this executor reads version 1)`);
  const name = r.str("name");
  const inputShape = readShape(r, "inputShape");
  const outputShape = readShape(r, "outputShape");
  const qp = (): QParams => ({ scale: r.f64(), zeroPoint: r.i32() });
  const input = qp();
  const output = qp();
  const L = r.count(1, "layer count");
  const layers: Layer[] = [];
  for (let i = 0; i < L; i++) {
    const op = r.str(`layer ${i} op`);
    const nIn = r.count(4, `layer ${i} inputs`);
    const inputs: number[] = [];
    for (let k = 0; k < nIn; k++) inputs.push(r.u32());
    const outputId = r.u32();
    const outShape = readShape(r, `layer ${i} outShape`);
    const nAttrs = r.count(6, `layer ${i} attrs`);
    const attrs: Record<string, number | number[]> = {};
    let prev: string | null = null;
    for (let k = 0; k < nAttrs; k++) {
      const key = r.str(`layer ${i} attribute name`);
      if (prev !== null && !(prev < key)) fail(`layer ${i}: attribute names not strictly ascending (non-canonical)`);
      prev = key;
      const tag = r.u8();
      if (tag === 0) attrs[key] = r.i32();
      else if (tag === 1) {
        const n = r.count(4, `layer ${i} attribute ${key}`);
        const arr: number[] = [];
        for (let j = 0; j < n; j++) arr.push(r.i32());
        attrs[key] = arr;
      } else fail(`layer ${i}: attribute ${key} has unknown tag ${tag}`);
    }
    const present = r.u8();
    if (present & ~31) fail(`layer ${i}: unknown presence bits ${present}`);
    const layer: Layer = { op, inputs, output: outputId, outShape, attrs };
    if (present & 1) layer.weights = new Int8Array(r.bytes(r.count(1, `layer ${i} weights`)).buffer);
    const i32s = (what: string): Int32Array => {
      const n = r.count(4, `layer ${i} ${what}`);
      const a = new Int32Array(n);
      for (let j = 0; j < n; j++) a[j] = r.i32();
      return a;
    };
    if (present & 2) layer.bias = i32s("bias");
    if (present & 4) layer.multiplier = i32s("multiplier");
    if (present & 8) layer.shift = i32s("shift");
    if (present & 16) layer.lut = new Int8Array(r.bytes(r.count(1, `layer ${i} lut`)).buffer);
    layers.push(layer);
  }
  if (!r.end()) fail(`${bytes.length - r.pos} trailing bytes after the last layer`);
  const p: Program = { name, version: 1, inputShape, outputShape, input, output, layers };
  validateProgram(p);
  return p;
}
