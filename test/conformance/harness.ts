/**
 * The conformance harness: an ONNX graph built with the project's own builder is imported exactly as a user's file
 * is (encoded to ONNX bytes, then loadOnnx), quantized on random calibration inputs, and compared with
 * onnxruntime-node (float) on random inputs (the first `runs` of the random calibration inputs: a static quantization
 * saturates outside its calibrated range, which is the quantizer's contract, not the kernel's error):
 *  - the float reference (executor/quant/float-eval.ts) within `floatTolerance` (relative, default 1e-4);
 *  - the dequantized integer output within `steps` output quantization steps (the bound docs/NUMERICS.md §16 states
 *    for the operator, ./bounds.ts; every case states one);
 *  - run twice, the trace root is identical (determinism; PROPERTIES E11).
 *
 * Each area of operators has its own `test/conformance/<area>.test.ts` calling `conformanceSuite(title, cases)`;
 * every case is one `it`, and the suite prints a table of the measured errors. `CONFORMANCE_COUNT` (exported for the
 * count check) sums the cases of every suite that ran.
 */
import { expect } from "chai";
import * as ort from "onnxruntime-node";

import type { Graph } from "../../executor/model/graph";
import { encodeOnnx, loadOnnx } from "../../executor/model/onnx";
import { dequantizeOutput, quantizeGraph, quantizeInput, runFloat } from "../../executor/quant";
import { decodeProgram, encodeProgram, execute, type Program } from "../../executor/runtime";
import { commitTrace } from "../../executor/trace/trace";

export interface ConformanceCase {
  /** Shown in the test title and the report: operator, attributes, opset. */
  name: string;
  /** The float graph (GraphBuilder(...).build()); its first input is the one fed random values. */
  graph: Graph;
  /**
   * The ONNX bytes given to the importer and onnxruntime, when they must differ from `encodeOnnx(graph)` (an
   * element type the builder does not write, e.g. a BOOL condition); default the encoded graph.
   */
  onnx?: Uint8Array;
  /** The dims of that input. */
  inputDims: number[];
  /**
   * The element type of that input (default "float32"). An "int64" input (token ids, indices) is fed random
   * integers in [lo, hi] (default [0, 255]) and quantized exactly (NUMERICS §26.6).
   */
  inputType?: "float32" | "int64";
  /**
   * The graph onnxruntime runs, when it is not `graph` itself: an old-opset graph that onnxruntime refuses is
   * compared with the same graph written at a newer opset (test/conformance/import.test.ts).
   */
  reference?: Graph;
  /** Range of the random input values (default [-1, 1]). */
  lo?: number;
  hi?: number;
  /** Allowed |dequantized - onnxruntime| in output quantization steps: NUMERICS §16's bound (./bounds.ts). */
  steps: number;
  /** Allowed relative error of the float reference against onnxruntime (default 1e-4). */
  floatTolerance?: number;
  /** Expected program ops after lowering and fusion, when the case is about them. */
  ops?: string[];
  /** Calibration inputs (default 12) and how many of them are compared (default 3). */
  runs?: number;
  calibration?: number;
}

export interface ConformanceResult {
  program: Program;
  /** Largest |dequantized - onnxruntime| and the same in output steps. */
  maxErr: number;
  maxSteps: number;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function randomArray(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

const counted = new Set<string>();
/** Names of the conformance cases that ran in this process (each counted once). */
export function conformanceCount(): number {
  return counted.size;
}

/** Runs one case; throws (chai) on a mismatch. */
export async function checkConformance(c: ConformanceCase, seed = 7): Promise<ConformanceResult> {
  const r = rng(seed);
  const size = c.inputDims.reduce((a, b) => a * b, 1);
  const bytes = c.onnx ?? encodeOnnx(c.graph);
  const graph = loadOnnx(bytes);
  const integer = c.inputType === "int64";
  const calib = Array.from({ length: c.calibration ?? 12 }, () =>
    integer
      ? Float32Array.from(randomArray(r, size, c.lo ?? 0, (c.hi ?? 255) + 1), (v) =>
          Math.min(c.hi ?? 255, Math.floor(v)),
        )
      : randomArray(r, size, c.lo ?? -1, c.hi ?? 1),
  );
  const program = decodeProgram(encodeProgram(quantizeGraph(graph, calib)));
  if (c.ops) expect(program.layers.map((l) => l.op)).to.deep.equal(c.ops);
  const session = await ort.InferenceSession.create(c.reference ? encodeOnnx(c.reference) : bytes, {
    logSeverityLevel: 3,
  });
  const inName = graph.inputs[0].name;
  const outName = graph.outputs[0].name;
  const tol = c.floatTolerance ?? 1e-4;
  let maxErr = 0;
  let maxSteps = 0;
  const inputs = calib.slice(0, c.runs ?? 3);
  for (const x of inputs) {
    const feed = integer
      ? new ort.Tensor(
          "int64",
          BigInt64Array.from(x, (v) => BigInt(v)),
          c.inputDims,
        )
      : new ort.Tensor("float32", x, c.inputDims);
    const res = await session.run({ [inName]: feed });
    const ref = res[outName].data as Float32Array;
    const fl = runFloat(graph, x);
    expect(fl.data.length, "float reference length").to.equal(ref.length);
    for (let i = 0; i < ref.length; i++) {
      // chai only on a mismatch: an assertion per element costs seconds on the long axes
      const d = Math.abs(fl.data[i] - ref[i]);
      if (d > tol * (1 + Math.abs(ref[i])))
        expect(d, `float reference at ${i}`).to.be.at.most(tol * (1 + Math.abs(ref[i])));
    }
    const q = quantizeInput(program, x);
    const states = execute(program, q);
    const y = dequantizeOutput(program, states[states.length - 1]);
    for (let i = 0; i < ref.length; i++) {
      const e = Math.abs(y[i] - ref[i]);
      maxErr = Math.max(maxErr, e);
      maxSteps = Math.max(maxSteps, e / program.output.scale);
    }
    expect(commitTrace(execute(program, q)).traceRoot, "trace root of a second run").to.equal(
      commitTrace(states).traceRoot,
    );
  }
  expect(maxSteps, `max error ${maxErr} = ${maxSteps.toFixed(3)} output steps`).to.be.at.most(c.steps);
  await session.release();
  return { program, maxErr, maxSteps };
}

/** One `it` per case, and a table of the measured errors printed after the suite. */
export function conformanceSuite(title: string, cases: readonly ConformanceCase[]): void {
  describe(`conformance: ${title}`, function () {
    this.timeout(120_000);
    const rows: string[] = [];
    after(() => {
      if (rows.length > 0 && process.env.CONFORMANCE_REPORT) console.log(`\n      ${title}\n${rows.join("\n")}`);
    });
    for (const c of cases) {
      it(`E11: ${c.name} matches onnxruntime within ${c.steps} steps, deterministically`, async () => {
        const { maxErr, maxSteps } = await checkConformance(c);
        counted.add(`${title}/${c.name}`);
        rows.push(`        ${c.name.padEnd(48)} maxErr ${maxErr.toExponential(2)}  ${maxSteps.toFixed(3)} steps`);
      });
    }
  });
}
