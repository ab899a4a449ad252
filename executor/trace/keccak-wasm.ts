/**
 * keccak256 (the EVM's KECCAK256: the original Keccak padding, not SHA-3's) in WebAssembly, synchronous, on bytes.
 *
 *   - `hashChunks` / `hashPairs`: the hot path of every commitment, hashing all the 32-byte chunks of a state, or
 *     all the pairs of a Merkle layer, in ONE call: no per-hash call overhead, no hex;
 *   - `keccak256`: one message of any length (single nodes, proof checks, program digests, descriptors).
 *
 * Why not a library: hash-wasm (a dependency) is only asynchronous (its WebAssembly is compiled with
 * `WebAssembly.compile`, every entry point returns a Promise), while the executor's API is synchronous; and
 * hashing a layer with one call per hash is slower than one call per layer. bench/hashing.ts measures both on
 * the same Merkle layer. A chain library's keccak256 (pure JavaScript, hex in and out) is slower still and would
 * tie the executor to a chain library.
 *
 * The module is generated here, byte by byte (no binary blob, no build step; about 3 KB, small enough for a
 * browser to compile synchronously on its main thread): three functions `(src, n, dst)`. `chunks` and `pairs`
 * hash `n` consecutive 32-byte (resp. 64-byte) inputs at `src` into `n` digests at `dst`; an input shorter than
 * the 136-byte rate is one block, padded with 0x01 right after the input and 0x80 in the last byte of the block.
 * `sponge` absorbs `n` blocks the caller has padded the same way and writes one digest. Where the engine has
 * WebAssembly SIMD, `chunks2` and `pairs2` run the same permutation on two inputs at once (one in each 64-bit half
 * of a v128 lane: i64x2 has no rotate, so a rotation is two shifts and an or, and chi's and-not is one
 * `v128.andnot`); the batch functions hash pairs of inputs with them and an odd last input with the scalar one.
 * Tests compare all of them with a reference keccak256.
 */
import {
  I32,
  I64,
  OP,
  SIMD,
  V128,
  WASM_HEADER,
  type WasmMemory,
  instantiate,
  section,
  sleb,
  uleb,
  wasmName,
} from "../runtime/wasm";

const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
/** The 24 round constants (iota), as 16 hex digits each. */
const RC = (
  "0000000000000001 0000000000008082 800000000000808a 8000000080008000 000000000000808b 0000000080000001 " +
  "8000000080008081 8000000000008009 000000000000008a 0000000000000088 0000000080008009 000000008000000a " +
  "000000008000808b 800000000000008b 8000000000008089 8000000000008003 8000000000008002 8000000000000080 " +
  "000000000000800a 800000008000000a 8000000080008081 8000000000008080 0000000080000001 8000000080008008"
)
  .split(" ")
  .map((h) => BigInt("0x" + h));

/** Bytes absorbed per block by keccak256: 1600 - 2 * 256 bits. */
const RATE = 136;

/** Bytes 0..191 of the memory hold the round constants; callers' data starts at DATA_BASE. */
export const DATA_BASE = 256;

// Locals: params src = 0, n = 1, dst = 2; lanes a0..a24 = 3..27; b0..b24 = 28..52; c0..c4 = 53..57;
// d0..d4 = 58..62; round (i32, byte offset into the constants) = 63; t = 64 (a v128 temporary, SIMD only).
const SRC = 0;
const N = 1;
const DST = 2;
const A = (i: number): number => 3 + i;
const B = (i: number): number => 28 + i;
const C = (x: number): number => 53 + x;
const D = (x: number): number => 58 + x;
const ROUND = 63;
const T = 64;

/** The lane arithmetic of one variant: scalar (one state in i64 locals) or SIMD (two states in i64x2 locals). */
interface LaneOps {
  /** Local declarations of a function body. */
  readonly locals: number[];
  /** [a, b] on the stack -> a ^ b. */
  xor(c: Code): void;
  /** [a] on the stack -> a rotated left by r (0 < r < 64). */
  rotl(c: Code, r: number): void;
  /** Pushes x0 ^ (~x1 & x2) for the lane locals x0, x1, x2 (chi). */
  chi(c: Code, x0: number, x1: number, x2: number): void;
  /** Pushes the round constant at byte offset `round` of the memory (iota). */
  roundConstant(c: Code): void;
}

const SCALAR: LaneOps = {
  locals: [2, ...uleb(60), I64, ...uleb(1), I32],
  xor: (c) => c.emit(OP.i64Xor),
  rotl(c, r) {
    c.i64(BigInt(r));
    c.emit(OP.i64Rotl);
  },
  chi(c, x0, x1, x2) {
    c.get(x0);
    c.get(x1);
    c.i64(-1n);
    c.emit(OP.i64Xor);
    c.get(x2);
    c.emit(OP.i64And, OP.i64Xor);
  },
  roundConstant(c) {
    c.get(ROUND);
    c.emit(OP.i64Load, 0x03, 0x00);
  },
};

const VEC: LaneOps = {
  locals: [3, ...uleb(60), V128, ...uleb(1), I32, ...uleb(1), V128],
  xor: (c) => c.simd(0x51),
  rotl(c, r) {
    c.emit(OP.tee, ...uleb(T));
    c.i32(r);
    c.simd(0xcb); // i64x2.shl
    c.get(T);
    c.i32(64 - r);
    c.simd(0xcd); // i64x2.shr_u
    c.simd(0x50); // v128.or
  },
  chi(c, x0, x1, x2) {
    c.get(x0);
    c.get(x2);
    c.get(x1);
    c.simd(0x4f); // v128.andnot: x2 & ~x1
    c.simd(0x51);
  },
  roundConstant(c) {
    c.get(ROUND);
    c.simd(0x0a, 0x03, 0x00); // v128.load64_splat
  },
};

/** Code of one function body, with the local helpers the generators share. */
class Code {
  readonly bytes: number[] = [];
  emit(...b: number[]): void {
    this.bytes.push(...b);
  }
  get(i: number): void {
    this.emit(OP.get, ...uleb(i));
  }
  set(i: number): void {
    this.emit(OP.set, ...uleb(i));
  }
  i64(v: bigint): void {
    this.emit(OP.i64Const, ...sleb(v));
  }
  i32(v: number): void {
    this.emit(OP.i32Const, ...sleb(BigInt(v)));
  }
  simd(op: number, ...immediates: number[]): void {
    this.emit(SIMD, ...uleb(op), ...immediates);
  }
  /** local[i] += step (i32). */
  advance(i: number, step: number): void {
    this.get(i);
    this.i32(Math.abs(step));
    this.emit(step < 0 ? OP.i32Sub : OP.i32Add);
    this.set(i);
  }
  /** The function body: the locals, the code, `end`, prefixed by its size. */
  body(locals: number[]): number[] {
    const body = [...locals, ...this.bytes, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** Keccak-f[1600] on the lanes a0..a24: 24 rounds, constants read from memory at `round`. */
function permute(c: Code, v: LaneOps): void {
  c.i32(0);
  c.set(ROUND);
  c.emit(OP.loop, 0x40);
  for (let x = 0; x < 5; x++) {
    c.get(A(x));
    for (let y = 1; y < 5; y++) {
      c.get(A(x + 5 * y));
      v.xor(c);
    }
    c.set(C(x));
  }
  for (let x = 0; x < 5; x++) {
    c.get(C((x + 4) % 5));
    c.get(C((x + 1) % 5));
    v.rotl(c, 1);
    v.xor(c);
    c.set(D(x));
  }
  for (let i = 0; i < 25; i++) {
    const x = i % 5;
    const y = Math.floor(i / 5);
    c.get(A(i));
    c.get(D(x));
    v.xor(c);
    if (ROT[i] !== 0) v.rotl(c, ROT[i]);
    c.set(B(y + 5 * ((2 * x + 3 * y) % 5)));
  }
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      v.chi(c, B(x + 5 * y), B(((x + 1) % 5) + 5 * y), B(((x + 2) % 5) + 5 * y));
      c.set(A(x + 5 * y));
    }
  }
  c.get(A(0));
  v.roundConstant(c);
  v.xor(c);
  c.set(A(0));
  c.get(ROUND);
  c.i32(8);
  c.emit(OP.i32Add, OP.tee, ...uleb(ROUND));
  c.i32(8 * 24);
  c.emit(OP.i32Ne, OP.brIf, 0, OP.end);
}

/** Stores the 32-byte digest (lanes a0..a3) at `dst`. */
function squeeze(c: Code): void {
  for (let k = 0; k < 4; k++) {
    c.get(DST);
    c.get(A(k));
    c.emit(OP.i64Store, 0x00, ...uleb(8 * k));
  }
}

/** Body of `(src, n, dst)` hashing n inputs of `len` bytes (32 or 64) each, one block per input. */
function batchFunctionBody(len: number): number[] {
  const c = new Code();
  const lanes = len / 8;
  c.emit(OP.block, 0x40, OP.loop, 0x40);
  c.get(N);
  c.emit(OP.i32Eqz, OP.brIf, 1);
  // Absorb one block: the input lanes, zeros elsewhere, padding 0x01 after the input and 0x80 at byte 135.
  for (let k = 0; k < 25; k++) {
    if (k < lanes) {
      c.get(SRC);
      c.emit(OP.i64Load, 0x00, ...uleb(8 * k)); // alignment hint 1 byte: inputs need not be 8-byte aligned
    } else if (k === lanes) c.i64(1n);
    else if (k === 16) c.i64(-(1n << 63n));
    else c.i64(0n);
    c.set(A(k));
  }
  permute(c, SCALAR);
  squeeze(c);
  c.advance(SRC, len);
  c.advance(DST, 32);
  c.advance(N, -1);
  c.emit(OP.br, 0, OP.end, OP.end);
  return c.body(SCALAR.locals);
}

/**
 * Body of `(src, n, dst)` hashing n PAIRS of inputs of `len` bytes (2n consecutive inputs) two at a time: input 2i in
 * the low half of each i64x2 lane, input 2i + 1 in the high half; digests written in input order.
 */
function batch2FunctionBody(len: number): number[] {
  const c = new Code();
  const lanes = len / 8;
  const both = (v: bigint): number[] => {
    const b: number[] = [];
    for (let h = 0; h < 2; h++) for (let k = 0n; k < 8n; k++) b.push(Number((v >> (8n * k)) & 0xffn));
    return b;
  };
  c.emit(OP.block, 0x40, OP.loop, 0x40);
  c.get(N);
  c.emit(OP.i32Eqz, OP.brIf, 1);
  for (let k = 0; k < 25; k++) {
    if (k < lanes) {
      c.get(SRC); // v128.load64_lane's address, then its vector: the low half loaded, the high half zero
      c.get(SRC);
      c.simd(0x5d, 0x00, ...uleb(8 * k)); // v128.load64_zero
      c.simd(0x57, 0x00, ...uleb(len + 8 * k), 1); // v128.load64_lane, lane 1
    } else if (k === lanes) c.simd(0x0c, ...both(1n));
    else if (k === 16) c.simd(0x0c, ...both(1n << 63n));
    else c.simd(0x0c, ...both(0n));
    c.set(A(k));
  }
  permute(c, VEC);
  for (let k = 0; k < 4; k++)
    for (let h = 0; h < 2; h++) {
      c.get(DST);
      c.get(A(k));
      c.simd(0x5b, 0x00, ...uleb(32 * h + 8 * k), h); // v128.store64_lane
    }
  c.advance(SRC, 2 * len);
  c.advance(DST, 64);
  c.advance(N, -1);
  c.emit(OP.br, 0, OP.end, OP.end);
  return c.body(VEC.locals);
}

/**
 * Body of `(src, n, dst)` hashing ONE message of any length, already padded by the caller to n >= 1 blocks of
 * RATE bytes at `src` (0x01 after the message, 0x80 in the last byte; 0x81 when both fall on the same byte).
 * The lanes are locals, which WebAssembly zeroes on entry: that is the initial state.
 */
function spongeFunctionBody(): number[] {
  const c = new Code();
  c.emit(OP.loop, 0x40);
  for (let k = 0; k < RATE / 8; k++) {
    c.get(A(k));
    c.get(SRC);
    c.emit(OP.i64Load, 0x00, ...uleb(8 * k));
    c.emit(OP.i64Xor);
    c.set(A(k));
  }
  permute(c, SCALAR);
  c.advance(SRC, RATE);
  c.advance(N, -1);
  c.get(N);
  c.emit(OP.brIf, 0, OP.end);
  squeeze(c);
  return c.body(SCALAR.locals);
}

/** The module: the scalar functions, and with `simd` the two-way ones too. */
function buildModule(simd: boolean): Uint8Array {
  const rcBytes: number[] = [];
  for (const rc of RC) for (let k = 0n; k < 8n; k++) rcBytes.push(Number((rc >> (8n * k)) & 0xffn));
  const names = ["chunks", "pairs", "sponge", ...(simd ? ["chunks2", "pairs2"] : [])];
  const bodies = [batchFunctionBody(32), batchFunctionBody(64), spongeFunctionBody()];
  if (simd) bodies.push(batch2FunctionBody(32), batch2FunctionBody(64));
  const bytes = [
    ...WASM_HEADER,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 0]), // type 0: (i32, i32, i32) -> ()
    ...section(3, [names.length, ...names.map(() => 0)]), // the functions, all of type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [
      names.length + 1,
      ...wasmName("memory"),
      0x02,
      0,
      ...names.flatMap((name, i) => [...wasmName(name), 0x00, i]),
    ]),
    ...section(10, [bodies.length, ...bodies.flat()]),
    ...section(11, [1, 0, OP.i32Const, 0, OP.end, ...uleb(rcBytes.length), ...rcBytes]), // constants at 0
  ];
  return Uint8Array.from(bytes);
}

type Batch = (src: number, n: number, dst: number) => void;
interface Exports {
  memory: WasmMemory;
  chunks: Batch;
  pairs: Batch;
  sponge(src: number, blocks: number, dst: number): void;
  chunks2?: Batch;
  pairs2?: Batch;
}

let exportsCache: Exports | null = null;
function wasm(): Exports {
  if (exportsCache === null) {
    exportsCache = instantiate<Exports>(buildModule(true)) ?? instantiate<Exports>(buildModule(false));
    if (exportsCache === null) throw new Error("this JavaScript engine has no WebAssembly: keccak256 needs it");
  }
  return exportsCache;
}

/** Hashes n inputs of `len` bytes at src into n digests at dst: two at a time with SIMD, the odd last one alone. */
function batch(len: number, src: number, n: number, dst: number): void {
  const w = wasm();
  const [one, two] = len === 32 ? [w.chunks, w.chunks2] : [w.pairs, w.pairs2];
  if (two === undefined) return one(src, n, dst);
  const pairs = n >> 1;
  if (pairs > 0) two(src, pairs, dst);
  if (n & 1) one(src + (n - 1) * len, 1, dst + (n - 1) * 32);
}

let view: Uint8Array | null = null;

/** A view of the module's memory with room for `bytes` bytes at DATA_BASE (grown on demand, then reused). */
function memoryFor(bytes: number): Uint8Array {
  const w = wasm();
  const need = DATA_BASE + bytes;
  if (view === null || view.buffer !== w.memory.buffer || view.length < need) {
    const have = w.memory.buffer.byteLength;
    if (need > have) w.memory.grow(Math.ceil((need - have) / 65536));
    view = new Uint8Array(w.memory.buffer);
  }
  return view;
}

/** keccak256 of each 32-byte chunk of `data` (the last one zero-padded), packed 32 bytes per digest. */
export function hashChunks(data: Uint8Array): Uint8Array {
  const n = Math.ceil(data.length / 32);
  if (n === 0) return new Uint8Array(0);
  const padded = n * 32;
  const mem = memoryFor(2 * padded);
  mem.set(data, DATA_BASE);
  mem.fill(0, DATA_BASE + data.length, DATA_BASE + padded);
  batch(32, DATA_BASE, n, DATA_BASE + padded);
  return mem.slice(DATA_BASE + padded, DATA_BASE + 2 * padded);
}

/**
 * keccak256(left ‖ right) of each pair of a packed layer of 32-byte hashes; an odd layer is completed with
 * `filler` (the empty-subtree hash of that level).
 */
export function hashPairs(layer: Uint8Array, filler: Uint8Array): Uint8Array {
  const count = layer.length / 32;
  const pairs = (count + 1) >> 1;
  if (pairs === 0) return new Uint8Array(0);
  const mem = memoryFor(pairs * 64 + pairs * 32);
  mem.set(layer, DATA_BASE);
  if (count & 1) mem.set(filler, DATA_BASE + layer.length);
  const dst = DATA_BASE + pairs * 64;
  batch(64, DATA_BASE, pairs, dst);
  return mem.slice(dst, dst + pairs * 32);
}

/**
 * The node `levels` levels above the leaves of the chunk tree of `data` (at most 2^levels chunks, the last one
 * zero-padded; an odd layer completed with `filler(level)`), hashed in place in the module's memory: the same node
 * as hashChunks then `levels` hashPairs, without a copy per layer.
 */
export function subtreeRoot(data: Uint8Array, levels: number, filler: (level: number) => Uint8Array): Uint8Array {
  let count = Math.ceil(data.length / 32);
  if (count === 0 || count > 2 ** levels) throw new RangeError(`${count} chunks do not fit under ${levels} levels`);
  // the fillers first: computing one may hash, and hashing reuses the memory below
  const fillers = Array.from({ length: levels }, (_, level) => filler(level));
  const padded = count * 32;
  const mem = memoryFor(2 * padded + 32);
  mem.set(data, DATA_BASE);
  mem.fill(0, DATA_BASE + data.length, DATA_BASE + padded);
  const layer = DATA_BASE + padded;
  batch(32, DATA_BASE, count, layer);
  for (let level = 0; level < levels; level++) {
    if (count & 1) mem.set(fillers[level], layer + count * 32);
    count = (count + 1) >> 1;
    batch(64, layer, count, layer); // in place: pair i is read before digest i is written at or below it
  }
  return mem.slice(layer, layer + 32);
}

/** keccak256 of `data`, any length: the EVM's KECCAK256 (the original Keccak padding, not SHA-3's). */
export function keccak256(data: Uint8Array): Uint8Array {
  const blocks = Math.floor(data.length / RATE) + 1;
  const padded = blocks * RATE;
  const mem = memoryFor(padded + 32);
  mem.set(data, DATA_BASE);
  mem.fill(0, DATA_BASE + data.length, DATA_BASE + padded);
  mem[DATA_BASE + data.length] |= 0x01;
  mem[DATA_BASE + padded - 1] |= 0x80;
  wasm().sponge(DATA_BASE, blocks, DATA_BASE + padded);
  return mem.slice(DATA_BASE + padded, DATA_BASE + padded + 32);
}
