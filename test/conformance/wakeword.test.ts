/**
 * Real PyTorch exports against onnxruntime (issue 12): the three openWakeWord classifier heads shipped by the npm
 * package `openwakeword-js` (Apache-2.0, a devDependency; read from node_modules, never copied into the repository).
 * Each is opset 13: Flatten, three Gemms, two decomposed LayerNorms (ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add and
 * Constants, fused at import), Relu and a final Sigmoid; input [1, 24 or 25, 96] (speech embeddings), output [1, 1].
 *
 * Each model goes through the path of `verity model import` (`readOnnx`, `quantizeWithProgress`, the program bytes
 * decoded back) on 32 seeded calibration inputs, and is compared with onnxruntime-node on 32 other held-out inputs
 * of the same distribution. A saturated sigmoid hides error (a logit of 6 or 7 gives 0.998 or 0.999 alike), so the
 * pre-sigmoid logit is compared too: the graph cut before its Sigmoid is quantized on the same calibration inputs,
 * which gives the very byte of the full program's state before its last layer (checked), read with that tensor's
 * quantization. The bounds and the measured figures are in docs/NUMERICS.md §16 ("Real models").
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ort from "onnxruntime-node";

import { readOnnx, quantizeWithProgress, type OnnxModel } from "../../cli/model-source";
import { infer } from "../../executor/infer";
import { type Graph, sizeOf } from "../../executor/model/graph";
import { encodeOnnx, encodeTensorProto } from "../../executor/model/onnx";
import { dequantizeOutput, quantizeGraph, quantizeInput } from "../../executor/quant";
import {
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  type Program,
  decodeProgram,
  encodeProgram,
  execute,
  stepWitnessBounds,
} from "../../executor/runtime";
import { rng } from "./harness";

const ROOT = path.join(__dirname, "..", "..");
const MODELS = path.join(ROOT, "node_modules", "openwakeword-js", "models");
const NAMES = ["hello_deepa", "hello_deepa_old", "namaste_deepa"] as const;

const CALIBRATION = 32;
const HELD_OUT = 32;
/** The bounds of docs/NUMERICS.md §16 ("Real models"), as fractions of the output's range. */
const LOGIT_MAX = 0.08;
const LOGIT_MEAN = 0.01;
const PROB_MAX = 0.1;
const PROB_MEAN = 0.02;

/**
 * Seeded stand-ins for openWakeWord embeddings (roughly within [-4, 4]): Gaussian values whose standard deviation
 * cycles from 0.5 to 2.25 over the samples (quiet to loud frames), clipped to [-4, 4]. Calibration and held-out
 * inputs are consecutive draws of one stream, so they share the distribution but no sample.
 */
function embeddings(seed: number, n: number, size: number): Float32Array[] {
  const r = rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: n }, (_, k) => {
    const sigma = 0.5 + (2 * (k % 8)) / 8;
    return Float32Array.from({ length: size }, () => Math.max(-4, Math.min(4, sigma * gauss())));
  });
}

/** The graph cut before its final Sigmoid: its output is the logit. */
function logitGraph(g: Graph): Graph {
  const last = g.nodes[g.nodes.length - 1];
  expect(last.opType, `${g.name}: last node`).to.equal("Sigmoid");
  return { ...g, nodes: g.nodes.slice(0, -1), outputs: [{ ...g.outputs[0], name: last.inputs[0] }] };
}

interface Figures {
  probMax: number;
  probMean: number;
  logitMax: number;
  logitMean: number;
  logitRange: number;
  /** Held-out logits beyond the calibrated range (they saturate at its edge; compared with the edge). */
  clamped: number;
  agree: number;
}

interface Imported {
  model: OnnxModel;
  program: Program;
  calibration: Float32Array[];
  heldOut: Float32Array[];
}

async function importModel(name: string): Promise<Imported> {
  const model = readOnnx(path.join(MODELS, `${name}.onnx`));
  const xs = embeddings(12, CALIBRATION + HELD_OUT, sizeOf(model.inputShape));
  const calibration = xs.slice(0, CALIBRATION);
  const program = decodeProgram(encodeProgram(await quantizeWithProgress(model, calibration)));
  return { model, program, calibration, heldOut: xs.slice(CALIBRATION) };
}

async function measure({ model, program, calibration, heldOut }: Imported): Promise<Figures> {
  const graph = model.graph;
  const cut = logitGraph(graph);
  const logitProgram = quantizeGraph(cut, calibration);
  const lo = (-128 - logitProgram.output.zeroPoint) * logitProgram.output.scale;
  const hi = (127 - logitProgram.output.zeroPoint) * logitProgram.output.scale;
  const full = await ort.InferenceSession.create(encodeOnnx(graph), { logSeverityLevel: 3 });
  const logit = await ort.InferenceSession.create(encodeOnnx(cut), { logSeverityLevel: 3 });
  const refs: { p: number; l: number; qp: number; ql: number }[] = [];
  for (const x of heldOut) {
    const feeds = { [graph.inputs[0].name]: new ort.Tensor("float32", x, [...model.inputShape]) };
    const p = ((await full.run(feeds))[graph.outputs[0].name].data as Float32Array)[0];
    const l = ((await logit.run(feeds))[cut.outputs[0].name].data as Float32Array)[0];
    const states = execute(program, quantizeInput(program, x));
    const logitState = execute(logitProgram, quantizeInput(logitProgram, x));
    // the cut program computes the very byte the full program's Sigmoid reads
    expect(logitState[logitState.length - 1]).to.deep.equal(states[states.length - 2]);
    const qp = dequantizeOutput(program, states[states.length - 1])[0];
    const ql = dequantizeOutput(logitProgram, logitState[logitState.length - 1])[0];
    // the probability's error is the logit's through sigmoid's slope (at most 1/4), plus the table's rounding
    expect(Math.abs(qp - p), `probability ${qp} vs ${p}, logit ${ql} vs ${l}`).to.be.at.most(
      Math.abs(ql - l) / 4 + program.output.scale,
    );
    refs.push({ p, l, qp, ql });
  }
  // a wake/no-wake decision may flip only where the reference lies within the error bound of the threshold
  for (const r of refs)
    if (Math.abs(r.p - 0.5) > PROB_MAX) expect(r.qp >= 0.5, `decision at p = ${r.p}`).to.equal(r.p >= 0.5);
  const ls = refs.map((r) => r.l);
  const logitRange = Math.max(...ls) - Math.min(...ls);
  const probErr = refs.map((r) => Math.abs(r.qp - r.p));
  const logitErr = refs.map((r) => Math.abs(r.ql - Math.min(hi, Math.max(lo, r.l))));
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  return {
    probMax: Math.max(...probErr),
    probMean: mean(probErr),
    logitMax: Math.max(...logitErr),
    logitMean: mean(logitErr),
    logitRange,
    clamped: refs.filter((r) => r.l < lo || r.l > hi).length,
    agree: refs.filter((r) => r.qp >= 0.5 === r.p >= 0.5).length,
  };
}

describe("real models: openWakeWord heads (openwakeword-js, PyTorch exports) against onnxruntime", function () {
  this.timeout(60_000);

  for (const name of NAMES) {
    describe(name, () => {
      let imported: Imported;
      before(async () => {
        imported = await importModel(name);
      });

      it(`R12-1: within ${100 * LOGIT_MAX}% of the logit range and ${100 * PROB_MAX}% of the probability's on held-out inputs`, async () => {
        const f = await measure(imported);
        const line =
          `${name}: probability max ${f.probMax.toFixed(4)} mean ${f.probMean.toFixed(4)}; logit max ` +
          `${f.logitMax.toFixed(3)} mean ${f.logitMean.toFixed(3)} of range ${f.logitRange.toFixed(2)} ` +
          `(${((100 * f.logitMax) / f.logitRange).toFixed(2)}% / ${((100 * f.logitMean) / f.logitRange).toFixed(2)}%, ` +
          `${f.clamped} beyond the calibrated range); decision at 0.5 agrees on ${f.agree}/${HELD_OUT}`;
        if (process.env.REAL_MODELS_VERBOSE) console.log(`      ${line}`);
        expect(f.probMax, line).to.be.at.most(PROB_MAX);
        expect(f.probMean, line).to.be.at.most(PROB_MEAN);
        expect(f.logitMax / f.logitRange, line).to.be.at.most(LOGIT_MAX);
        expect(f.logitMean / f.logitRange, line).to.be.at.most(LOGIT_MEAN);
      });

      it("R12-2: same trace root on two runs, every layer's one-step proof within 5M gas and 128 KiB", () => {
        const { program, heldOut } = imported;
        expect(program.layers.map((l) => l.op)).to.deep.equal([
          "Reshape",
          "Gemm",
          "Norm",
          "Relu",
          "Gemm",
          "Norm",
          "Relu",
          "Gemm",
          "Lut",
        ]);
        const a = infer(program, heldOut[0]);
        const b = infer(decodeProgram(encodeProgram(program)), Float32Array.from(heldOut[0]));
        expect(b.trace.traceRoot).to.equal(a.trace.traceRoot);
        expect(infer(program, heldOut[1]).trace.traceRoot).to.not.equal(a.trace.traceRoot);
        for (const bound of stepWitnessBounds(program)) {
          const what = `layer ${bound.layer} (${bound.op}): ${bound.gas} gas, ${bound.calldata} bytes`;
          expect(bound.usable.contiguous || bound.usable.sparse, what).to.equal(true);
          expect(bound.gas, what).to.be.at.most(MAX_STEP_PROOF_GAS);
          expect(bound.calldata, what).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
        }
      });
    });
  }

  it("R12-2: `verity model import` writes program.bin and manifest.json, the same program as in process", async () => {
    const { program, calibration, model } = await importModel("hello_deepa");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-wakeword-"));
    try {
      const calib = path.join(dir, "calibration.pb");
      const stacked = new Float32Array(calibration.length * calibration[0].length);
      calibration.forEach((x, k) => stacked.set(x, k * x.length));
      fs.writeFileSync(
        calib,
        encodeTensorProto({
          dtype: "float32",
          dims: [calibration.length, ...model.inputShape.slice(1)],
          data: stacked,
        }),
      );
      const out = path.join(dir, "out");
      const r = spawnSync(
        process.execPath,
        [
          path.join(ROOT, "bin", "verity.js"),
          "model",
          "import",
          path.join(MODELS, "hello_deepa.onnx"),
          "-c",
          calib,
          "-o",
          out,
          "--json",
        ],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
      );
      expect(r.status, r.stderr).to.equal(0);
      const manifest = JSON.parse(r.stdout) as { layers: number; inputShape: number[]; accuracy: { samples: number } };
      expect(manifest.layers).to.equal(9);
      expect(manifest.inputShape).to.deep.equal([1, 25, 96]);
      expect(manifest.accuracy.samples).to.equal(CALIBRATION);
      expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"))).to.deep.equal(manifest);
      expect(new Uint8Array(fs.readFileSync(path.join(out, "program.bin")))).to.deep.equal(encodeProgram(program));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
