import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { LmConfig, NamedArray } from "./params";

/** What a checkpoint holds besides the arrays. */
export interface CheckpointState {
  readonly config: LmConfig;
  readonly step: number;
  readonly rngState: number;
  /** Training seconds spent so far (over every resumed run). */
  readonly seconds: number;
  readonly bestValidBpb: number;
  readonly bestStep: number;
  readonly history: readonly { step: number; seconds: number; trainLoss: number; validBpb: number }[];
}

interface Header extends CheckpointState {
  readonly arrays: { name: string; dims: number[] }[];
}

/** Writes `state` and the arrays (parameters, optimizer moments...) to `file` atomically (temp file + rename). */
export function saveCheckpoint(file: string, state: CheckpointState, arrays: readonly NamedArray[]): void {
  const header: Header = { ...state, arrays: arrays.map((a) => ({ name: a.name, dims: a.dims })) };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const total = arrays.reduce((n, a) => n + a.values.byteLength, 0);
  const out = Buffer.alloc(4 + json.length + total);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  let at = 4 + json.length;
  for (const a of arrays) {
    Buffer.from(a.values.buffer, a.values.byteOffset, a.values.byteLength).copy(out, at);
    at += a.values.byteLength;
  }
  writeFileSync(`${file}.tmp`, out);
  renameSync(`${file}.tmp`, file);
}

/** Reads a checkpoint written by `saveCheckpoint`, or undefined if `file` does not exist. */
export function loadCheckpoint(file: string): { state: CheckpointState; arrays: NamedArray[] } | undefined {
  if (!existsSync(file)) return undefined;
  const buf = readFileSync(file);
  const len = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + len).toString("utf8")) as Header;
  let at = 4 + len;
  const arrays: NamedArray[] = header.arrays.map(({ name, dims }) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    Buffer.from(values.buffer).set(buf.subarray(at, at + 4 * n));
    at += 4 * n;
    return { name, dims, values };
  });
  const { arrays: _names, ...state } = header;
  void _names;
  // JSON writes Infinity (no validation yet) as null
  return { state: { ...state, bestValidBpb: state.bestValidBpb ?? Infinity }, arrays };
}
