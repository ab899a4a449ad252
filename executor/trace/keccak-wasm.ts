/**
 * Batched keccak256 in WebAssembly, for the hot path of trace commitment: hashing every 32-byte chunk of a state
 * (`hashChunks`) and every pair of a Merkle layer (`hashPairs`). WebAssembly has native 64-bit XOR and
 * rotate, which the JavaScript permutation (keccak.ts) has to emulate with 32-bit halves, and one call hashes a
 * whole layer, so the per-hash call overhead disappears.
 *
 * The module is generated here, byte by byte, from the same Keccak-f[1600] definition as keccak.ts (no binary
 * blob, no build step, no dependency): two functions `(src, n, dst)` that hash `n` consecutive 32-byte (resp.
 * 64-byte) inputs at `src` into `n` digests at `dst`. Inputs shorter than the 136-byte rate are one block: the
 * padding is 0x01 right after the input and 0x80 in the last byte of the block. Tests compare both functions with
 * ethers' keccak256.
 */

const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn,
  0x0000000080000001n, 0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n,
  0x0000000080008009n, 0x000000008000000an, 0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n,
  0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n, 0x000000000000800an, 0x800000008000000an,
  0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];

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

/** Body of `(src, n, dst)` hashing n inputs of `len` bytes (32 or 64) each. */
function hashFunctionBody(len: number): number[] {
  const code: number[] = [];
  const emit = (...bytes: number[]): void => void code.push(...bytes);
  const get = (i: number): void => emit(OP.get, ...uleb(i));
  const set = (i: number): void => emit(OP.set, ...uleb(i));
  const i64 = (v: bigint): void => emit(OP.i64Const, ...sleb(v));
  const i32 = (v: number): void => emit(OP.i32Const, ...sleb(BigInt(v)));
  const lanes = len / 8;

  emit(OP.block, 0x40, OP.loop, 0x40);
  get(N);
  emit(OP.i32Eqz, OP.brIf, 1);
  // Absorb one block: the input lanes, zeros elsewhere, padding 0x01 after the input and 0x80 at byte 135.
  for (let k = 0; k < 25; k++) {
    if (k < lanes) {
      get(SRC);
      emit(OP.i64Load, 0x00, ...uleb(8 * k)); // alignment hint 1 byte: inputs need not be 8-byte aligned
    } else if (k === lanes) i64(1n);
    else if (k === 16) i64(-(1n << 63n));
    else i64(0n);
    set(A(k));
  }
  // 24 rounds, constants read from memory at `round`.
  i32(0);
  set(ROUND);
  emit(OP.loop, 0x40);
  for (let x = 0; x < 5; x++) {
    get(A(x));
    for (let y = 1; y < 5; y++) {
      get(A(x + 5 * y));
      emit(OP.i64Xor);
    }
    set(C(x));
  }
  for (let x = 0; x < 5; x++) {
    get(C((x + 4) % 5));
    get(C((x + 1) % 5));
    i64(1n);
    emit(OP.i64Rotl, OP.i64Xor);
    set(D(x));
  }
  for (let i = 0; i < 25; i++) {
    const x = i % 5;
    const y = Math.floor(i / 5);
    get(A(i));
    get(D(x));
    emit(OP.i64Xor);
    if (ROT[i] !== 0) {
      i64(BigInt(ROT[i]));
      emit(OP.i64Rotl);
    }
    set(B(y + 5 * ((2 * x + 3 * y) % 5)));
  }
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(B(x + 5 * y));
      get(B(((x + 1) % 5) + 5 * y));
      i64(-1n);
      emit(OP.i64Xor);
      get(B(((x + 2) % 5) + 5 * y));
      emit(OP.i64And, OP.i64Xor);
      set(A(x + 5 * y));
    }
  }
  get(A(0));
  get(ROUND);
  emit(OP.i64Load, 0x03, 0x00);
  emit(OP.i64Xor);
  set(A(0));
  get(ROUND);
  i32(8);
  emit(OP.i32Add, OP.tee, ...uleb(ROUND));
  i32(8 * 24);
  emit(OP.i32Ne, OP.brIf, 0, OP.end);
  // Squeeze 32 bytes, advance.
  for (let k = 0; k < 4; k++) {
    get(DST);
    get(A(k));
    emit(OP.i64Store, 0x00, ...uleb(8 * k));
  }
  for (const [ptr, step] of [
    [SRC, len],
    [DST, 32],
  ]) {
    get(ptr);
    i32(step);
    emit(OP.i32Add);
    set(ptr);
  }
  get(N);
  i32(1);
  emit(OP.i32Sub);
  set(N);
  emit(OP.br, 0, OP.end, OP.end);

  const locals = [2, ...uleb(60), 0x7e, ...uleb(1), 0x7f]; // 60 x i64, 1 x i32
  const body = [...locals, ...code, OP.end];
  return [...uleb(body.length), ...body];
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function str(s: string): number[] {
  const b = [...Buffer.from(s, "utf8")];
  return [...uleb(b.length), ...b];
}

function buildModule(): Uint8Array {
  const rcBytes: number[] = [];
  for (const rc of RC) for (let k = 0n; k < 8n; k++) rcBytes.push(Number((rc >> (8n * k)) & 0xffn));
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]), // type 0: (i32, i32, i32) -> ()
    ...section(3, [2, 0, 0]), // two functions of type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page, no max
    ...section(7, [3, ...str("memory"), 0x02, 0, ...str("chunks"), 0x00, 0, ...str("pairs"), 0x00, 1]),
    ...section(10, [2, ...hashFunctionBody(32), ...hashFunctionBody(64)]),
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
