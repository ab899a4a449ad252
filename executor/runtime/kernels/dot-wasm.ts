/**
 * The integer dot products of Gemm and MatMul in WebAssembly SIMD: acc[r, o] = sum_j x[r, j] * w[o, j] over int16
 * operands (an int8 value minus its zero point, so |x|, |w| <= 255), as exact int32 sums. `i32x4.dot_i16x8_s`
 * multiplies eight int16 pairs into int32 and adds them pairwise; the kernel adds those lanes, then the four lanes.
 * Integer sums are exact in any order, so the result equals the JavaScript kernels' as long as no int32 overflows:
 * callers use it only when rowLen * maxProduct < 2^31 (`fitsInt32`), and fall back to JavaScript otherwise, or
 * when the engine has no WebAssembly SIMD.
 *
 * The module is generated here, byte by byte (no binary blob, as executor/trace/keccak-wasm.ts): one function
 * `dot(x, w, rows, n, groups, acc)` over rows of `groups` x 8 int16 (zero-padded) at byte offsets x and w, writing
 * rows x n int32 at acc. JavaScript lays the operands out in the module's memory (`DotScratch`) and reads acc back.
 */

import { I32, OP, SIMD, V128, WASM_HEADER, instantiate, section, uleb, wasmName, type WasmMemory } from "../wasm";

// Params x = 0, w = 1, rows = 2, n = 3, groups = 4, acc = 5; locals o = 6, j = 7, xp = 8, wp = 9 (i32), sum = 10.
const [X, W, ROWS, N, GROUPS, ACC, O, J, XP, WP, SUM] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const LOOP = [OP.loop, 0x40];
const END = OP.end;
const get = (i: number): number[] => [OP.get, i];
const set = (i: number): number[] => [OP.set, i];
const i32 = (v: number): number[] => [OP.i32Const, ...uleb(v)]; // v < 64 here: unsigned and signed LEB128 agree
const copy = (from: number, to: number): number[] => [...get(from), ...set(to)];
const add = (i: number, v: number): number[] => [...get(i), ...i32(v), OP.i32Add, ...set(i)];
/** local[i] -= 1; loop again while it is not zero. */
const countDown = (i: number): number[] => [...get(i), ...i32(1), OP.i32Sub, OP.tee, i, OP.brIf, 0];
const simd = (op: number, ...imm: number[]): number[] => [SIMD, ...uleb(op), ...imm];
/** Eight int16 at the address in local i: v128.load, or i16x8.load8x8_s (eight int8, sign-extended). */
const load16 = (i: number): number[] => [...get(i), ...simd(0x00, 0, 0)];
const load8 = (i: number): number[] => [...get(i), ...simd(0x01, 0, 0)];
const lane = (k: number): number[] => [...get(SUM), ...simd(0x1b, k)]; // i32x4.extract_lane k

/** The body of `dot`: w holds int16 (`wBytes` = 2) or int8 (`wBytes` = 1) values, groups of 8 per row. */
function dotBody(wBytes: number): number[] {
  const code = [
    ...LOOP, // rows
    ...copy(W, WP),
    ...copy(N, O),
    ...LOOP, // outputs
    ...simd(0x0c, ...new Array<number>(16).fill(0)), // v128.const 0
    ...set(SUM),
    ...copy(X, XP),
    ...copy(GROUPS, J),
    ...LOOP, // groups of 8: sum += i32x4.dot_i16x8_s(x, w)
    ...get(SUM),
    ...load16(XP),
    ...(wBytes === 2 ? load16(WP) : load8(WP)),
    ...simd(0xba),
    ...simd(0xae), // i32x4.add
    ...set(SUM),
    ...add(XP, 16),
    ...add(WP, 8 * wBytes),
    ...countDown(J),
    END,
    ...get(ACC),
    ...lane(0),
    ...lane(1),
    OP.i32Add,
    ...lane(2),
    OP.i32Add,
    ...lane(3),
    OP.i32Add,
    0x36, // i32.store align=4
    2,
    0,
    ...add(ACC, 4),
    ...countDown(O),
    END,
    ...copy(XP, X), // the next row of x starts where this one ended
    ...countDown(ROWS),
    END,
  ];
  const locals = [2, 4, I32, 1, V128];
  const body = [...locals, ...code, END];
  return [...uleb(body.length), ...body];
}

function buildModule(): Uint8Array {
  return Uint8Array.from([
    ...WASM_HEADER,
    ...section(1, [1, 0x60, 6, I32, I32, I32, I32, I32, I32, 0]), // type 0: (i32 x 6) -> ()
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page
    ...section(7, [3, ...wasmName("memory"), 0x02, 0, ...wasmName("dot16"), 0x00, 0, ...wasmName("dot8"), 0x00, 1]),
    ...section(10, [2, ...dotBody(2), ...dotBody(1)]),
  ]);
}

interface Exports {
  memory: WasmMemory;
  dot16(x: number, w: number, rows: number, n: number, groups: number, acc: number): void;
  dot8(x: number, w: number, rows: number, n: number, groups: number, acc: number): void;
}

let instance: Exports | null | undefined;
function dotModule(): Exports | null {
  if (instance === undefined) instance = instantiate<Exports>(buildModule());
  return instance;
}

/** True iff `rowLen` products of magnitude at most `maxProduct` always sum within int32. */
export function fitsInt32(rowLen: number, maxProduct: number): boolean {
  return rowLen * maxProduct < 2 ** 31;
}

/** Groups of 8 int16 per row of length `rowLen` (the row zero-padded). */
export const groupsOf = (rowLen: number): number => (rowLen + 7) >> 3;

/**
 * One dot-product job: views of x (rows x groups*8 int16), w (n x groups*8 values) and acc (rows x n int32) in the
 * module's memory. Fill x and w (zero the padding of rows whose length is not a multiple of 8), call `run`, read acc.
 */
export interface DotJob<W extends Int16Array | Int8Array> {
  readonly x: Int16Array;
  readonly w: W;
  readonly acc: Int32Array;
  run(): void;
}

function job<W extends Int16Array | Int8Array>(
  rows: number,
  n: number,
  rowLen: number,
  wBytes: number,
  view: (buf: ArrayBuffer, offset: number, length: number) => W,
): DotJob<W> | null {
  const m = dotModule();
  if (m === null || rows === 0 || n === 0 || rowLen === 0) return null;
  const groups = groupsOf(rowLen);
  const xBytes = rows * groups * 16;
  const wLength = n * groups * 8;
  const accAt = xBytes + ((wLength * wBytes + 15) & ~15);
  const need = accAt + rows * n * 4;
  const have = m.memory.buffer.byteLength;
  if (need > have) m.memory.grow(Math.ceil((need - have) / 65536));
  const buf = m.memory.buffer;
  const run = wBytes === 2 ? m.dot16 : m.dot8;
  return {
    x: new Int16Array(buf, 0, xBytes >> 1),
    w: view(buf, xBytes, wLength),
    acc: new Int32Array(buf, accAt, rows * n),
    run: () => run(0, xBytes, rows, n, groups, accAt),
  };
}

/** A job for `rows` rows of x against `n` int16 rows of w, or null without WebAssembly SIMD. Views die at the next job. */
export function dotJob16(rows: number, n: number, rowLen: number): DotJob<Int16Array> | null {
  return job(rows, n, rowLen, 2, (b, o, l) => new Int16Array(b, o, l));
}

/** A job for `rows` rows of x against `n` int8 rows of w (read sign-extended), or null without WebAssembly SIMD. */
export function dotJob8(rows: number, n: number, rowLen: number): DotJob<Int8Array> | null {
  return job(rows, n, rowLen, 1, (b, o, l) => new Int8Array(b, o, l));
}
