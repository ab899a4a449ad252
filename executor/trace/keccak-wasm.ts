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
 * `sponge` absorbs `n` blocks the caller has padded the same way and writes one digest. Tests compare all three
 * with a reference keccak256.
 */

const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const RC = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
];

/** Bytes absorbed per block by keccak256: 1600 - 2 * 256 bits. */
const RATE = 136;

/** Bytes 0..191 of the memory hold the round constants; callers' data starts at DATA_BASE. */
export const DATA_BASE = 256;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const signBit = (byte & 0x40) !== 0;
    if ((v === 0n && !signBit) || (v === -1n && signBit)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Ne: 0x47,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i64Load: 0x29,
  i64Store: 0x37,
  i64And: 0x83,
  i64Xor: 0x85,
  i64Rotl: 0x89,
} as const;

// Locals: params src = 0, n = 1, dst = 2; lanes a0..a24 = 3..27; b0..b24 = 28..52; c0..c4 = 53..57;
// d0..d4 = 58..62; round (i32, byte offset into the constants) = 63.
const SRC = 0;
const N = 1;
const DST = 2;
const A = (i: number): number => 3 + i;
const B = (i: number): number => 28 + i;
const C = (x: number): number => 53 + x;
const D = (x: number): number => 58 + x;
const ROUND = 63;

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
  /** local[i] += step (i32). */
  advance(i: number, step: number): void {
    this.get(i);
    this.i32(Math.abs(step));
    this.emit(step < 0 ? OP.i32Sub : OP.i32Add);
    this.set(i);
  }
  /** The function body: locals (60 x i64, 1 x i32), the code, `end`, prefixed by its size. */
  body(): number[] {
    const locals = [2, ...uleb(60), 0x7e, ...uleb(1), 0x7f];
    const body = [...locals, ...this.bytes, OP.end];
    return [...uleb(body.length), ...body];
  }
}

/** Keccak-f[1600] on the lanes a0..a24: 24 rounds, constants read from memory at `round`. */
function permute(c: Code): void {
  c.i32(0);
  c.set(ROUND);
  c.emit(OP.loop, 0x40);
  for (let x = 0; x < 5; x++) {
    c.get(A(x));
    for (let y = 1; y < 5; y++) {
      c.get(A(x + 5 * y));
      c.emit(OP.i64Xor);
    }
    c.set(C(x));
  }
  for (let x = 0; x < 5; x++) {
    c.get(C((x + 4) % 5));
    c.get(C((x + 1) % 5));
    c.i64(1n);
    c.emit(OP.i64Rotl, OP.i64Xor);
    c.set(D(x));
  }
  for (let i = 0; i < 25; i++) {
    const x = i % 5;
    const y = Math.floor(i / 5);
    c.get(A(i));
    c.get(D(x));
    c.emit(OP.i64Xor);
    if (ROT[i] !== 0) {
      c.i64(BigInt(ROT[i]));
      c.emit(OP.i64Rotl);
    }
    c.set(B(y + 5 * ((2 * x + 3 * y) % 5)));
  }
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      c.get(B(x + 5 * y));
      c.get(B(((x + 1) % 5) + 5 * y));
      c.i64(-1n);
      c.emit(OP.i64Xor);
      c.get(B(((x + 2) % 5) + 5 * y));
      c.emit(OP.i64And, OP.i64Xor);
      c.set(A(x + 5 * y));
    }
  }
  c.get(A(0));
  c.get(ROUND);
  c.emit(OP.i64Load, 0x03, 0x00);
  c.emit(OP.i64Xor);
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
  permute(c);
  squeeze(c);
  c.advance(SRC, len);
  c.advance(DST, 32);
  c.advance(N, -1);
  c.emit(OP.br, 0, OP.end, OP.end);
  return c.body();
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
  permute(c);
  c.advance(SRC, RATE);
  c.advance(N, -1);
  c.get(N);
  c.emit(OP.brIf, 0, OP.end);
  squeeze(c);
  return c.body();
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function buildModule(): Uint8Array {
  const rcBytes: number[] = [];
  for (const rc of RC) for (let k = 0n; k < 8n; k++) rcBytes.push(Number((rc >> (8n * k)) & 0xffn));
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00, // magic, version 1
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]), // type 0: (i32, i32, i32) -> ()
    ...section(3, [3, 0, 0, 0]), // three functions of type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [
      4,
      ...str("memory"),
      0x02,
      0,
      ...str("chunks"),
      0x00,
      0,
      ...str("pairs"),
      0x00,
      1,
      ...str("sponge"),
      0x00,
      2,
    ]),
    ...section(10, [3, ...batchFunctionBody(32), ...batchFunctionBody(64), ...spongeFunctionBody()]),
    ...section(11, [1, 0, OP.i32Const, 0, OP.end, ...uleb(rcBytes.length), ...rcBytes]), // constants at 0
  ];
  return Uint8Array.from(bytes);
}

// The WebAssembly global is in every Node version this project supports, but the "es2022" lib has no types for
// it (they live in the DOM lib), so the few members used here are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  memory: WasmMemory;
  chunks(src: number, n: number, dst: number): void;
  pairs(src: number, n: number, dst: number): void;
  sponge(src: number, blocks: number, dst: number): void;
}

let exportsCache: Exports | null = null;
function wasm(): Exports {
  if (exportsCache === null) {
    const instance = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(buildModule()), {});
    exportsCache = instance.exports as unknown as Exports;
  }
  return exportsCache;
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
  wasm().chunks(DATA_BASE, n, DATA_BASE + padded);
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
  wasm().pairs(DATA_BASE, pairs, dst);
  return mem.slice(dst, dst + pairs * 32);
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
