/**
 * Long steps split at import (NUMERICS §27): a Softmax, LogSoftmax, LayerNormalization, InstanceNormalization or Gemm
 * whose one layer could not be proven in one step is lowered to a chain of provable layers. At each op's limit the
 * size just below imports as the one fused layer and the size just above as the chain, every step of which is within
 * 5M gas and 130,048 bytes; one element of every layer of each chain is proven on-chain through the step verifier
 * and equals the TypeScript runtime's. The accuracy of the chains against onnxruntime is in
 * test/conformance/math.test.ts and core.test.ts ("long").
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { largestLegal } from "../../bench/one-step/math";
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { quantizeGraph, quantizeInput } from "../../executor/quant";
import {
  type Program,
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  execute,
  stepWitnessBounds,
} from "../../executor/runtime";
import { WeightsCommitment } from "../../executor/trace/weights";
import { cheapestStepProof, expectedElement, type SparseStepProof, type StepProof } from "../../game/step-proof";
import type { IntegerStepVerifier } from "../../typechain-types";
import { randomArray, rng } from "../conformance/harness";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { deployStepVerifier, gasWithin } from "../helpers/step-verifier";
import { oneLayerProgram, verifierBound } from "../helpers/step-bounds";

const EXP = Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp((j - 255) / 32)));
const REQ = { multiplier: Int32Array.of(20000), shift: Int32Array.of(20) };

function graphOf(name: string, opset: number, dims: number[], build: (b: GraphBuilder, x: string) => string): Graph {
  const b = new GraphBuilder(name, opset);
  b.output(build(b, b.input("x", dims)), [-1]);
  return b.build();
}

const values = (seed: number, n: number, lo = -0.5, hi = 1.5) => tensorF32([n], randomArray(rng(seed), n, lo, hi));

interface Limit {
  op: string;
  /** The fused layer of size x, as the quantizer makes it from `graph(x)`. */
  fused: (x: number) => Program;
  graph: (x: number) => Graph;
  dims: (x: number) => number[];
  hi: number;
}

const LIMITS: Limit[] = [
  {
    op: "Softmax",
    fused: (n) =>
      oneLayerProgram([1, n], {
        op: "Softmax",
        outShape: [1, n],
        attrs: { outer: 1, axisSize: n, inner: 1 },
        bias: EXP,
      }),
    graph: (n) => graphOf("softmax", 18, [1, n], (b, x) => b.node("Softmax", [x])),
    dims: (n) => [1, n],
    hi: 32_768,
  },
  {
    op: "LogSoftmax",
    fused: (n) =>
      oneLayerProgram([1, n], {
        op: "LogSoftmax",
        outShape: [1, n],
        attrs: { outer: 1, axisSize: n, inner: 1, zOut: 0 },
        bias: EXP,
        multiplier: Int32Array.of(20000, 30000),
        shift: Int32Array.of(20),
      }),
    graph: (n) => graphOf("logsoftmax", 18, [1, n], (b, x) => b.node("LogSoftmax", [x])),
    dims: (n) => [1, n],
    hi: 32_768,
  },
  {
    op: "Norm",
    fused: (n) =>
      oneLayerProgram([1, n], {
        op: "Norm",
        outShape: [1, n],
        attrs: { axisSize: n, wDiv: 1, wMod: n, epsQ: 1, zIn: 0, zOut: 0 },
        weights: new Int8Array(n),
        bias: new Int32Array(n),
        ...REQ,
      }),
    graph: (n) =>
      graphOf("layernorm", 17, [1, n], (b, x) =>
        b.node("LayerNormalization", [x, b.initializer("scale", values(1, n)), b.initializer("bias", values(2, n))], {
          axis: -1,
        }),
      ),
    dims: (n) => [1, n],
    hi: 40_000,
  },
  {
    op: "Gemm",
    fused: (k) =>
      oneLayerProgram([1, k], {
        op: "Gemm",
        outShape: [1, 4],
        attrs: { k, n: 4, zIn: 0, zOut: 0, clampMin: -128, clampMax: 127 },
        weights: new Int8Array(4 * k),
        bias: new Int32Array(4),
        multiplier: new Int32Array(4).fill(20000),
        shift: new Int32Array(4).fill(20),
      }),
    graph: (k) =>
      graphOf("gemm", 13, [1, k], (b, x) =>
        b.node(
          "Gemm",
          [
            x,
            b.initializer("w", tensorF32([4, k], randomArray(rng(3), 4 * k, -0.05, 0.05))),
            b.initializer("c", values(4, 4)),
          ],
          { transB: 1 },
        ),
      ),
    dims: (k) => [1, k],
    hi: 60_000,
  },
];

function quantize(l: Limit, x: number): Program {
  const size = l.dims(x).reduce((a, b) => a * b, 1);
  const r = rng(x);
  return quantizeGraph(
    l.graph(x),
    Array.from({ length: 2 }, () => randomArray(r, size, -2, 2)),
  );
}

function encodeCall(v: IntegerStepVerifier, p: StepProof | SparseStepProof): string {
  return "chunkIndices" in p.slice
    ? v.interface.encodeFunctionData("computeElementSparse", [p.claim, p.layer, p.slice, p.rows])
    : v.interface.encodeFunctionData("computeElement", [p.claim, p.layer, p.slice as StepProof["slice"], p.rows]);
}

describe("long steps split at import (NUMERICS §27)", function () {
  this.timeout(120_000);
  const above = new Map<string, Program>();

  for (const l of LIMITS) {
    it(`X10-10: ${l.op}: the largest fused size imports as one layer, one more as a chain of steps each within 5M gas and 130,048 bytes`, () => {
      const x = largestLegal(l.fused, l.hi);
      const below = quantize(l, x);
      expect(below.layers.map((y) => y.op)).to.deep.equal([l.op]);
      const split = quantize(l, x + 1);
      expect(split.layers.length).to.be.greaterThan(2);
      expect(split.layers.some((y) => y.op === l.op && (y.attrs.axisSize ?? y.attrs.k) === x + 1)).to.equal(false);
      for (const b of stepWitnessBounds(split)) {
        expect(b.gas, `layer ${b.layer} (${b.op})`).to.be.at.most(MAX_STEP_PROOF_GAS);
        expect(b.calldata, `layer ${b.layer} (${b.op})`).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
      }
      above.set(l.op, split);
    });
  }

  it("X10-10: an InstanceNormalization over 160 x 160 planes is a chain ending in a per-channel Affine", () => {
    const g = graphOf("instancenorm", 18, [1, 2, 160, 160], (b, x) =>
      b.node("InstanceNormalization", [x, b.initializer("scale", values(5, 2)), b.initializer("bias", values(6, 2))]),
    );
    const r = rng(9);
    const p = quantizeGraph(g, [randomArray(r, 2 * 160 * 160), randomArray(r, 2 * 160 * 160)]);
    expect(p.layers.map((y) => y.op)).to.deep.equal([
      "ReduceSum",
      "ReduceSum",
      "Sub",
      "Lut",
      "ReduceSum",
      "ReduceSum",
      "Lut",
      "Mul",
      "Affine",
    ]);
    above.set("InstanceNorm", p);
  });

  it("X10-10: a Softmax axis over 2^15 (the fused layer's own bound) and a ReduceMax over 10,000 contiguous values import in provable steps", () => {
    const r = rng(12);
    const soft = quantizeGraph(
      graphOf("softmax", 18, [1, 40_000], (b, x) => b.node("Softmax", [x])),
      [randomArray(r, 40_000, -2, 2)],
    );
    expect(soft.layers.map((y) => y.op)).to.deep.equal([
      "ReduceMax",
      "ReduceMax",
      "Sub",
      "Lut",
      "ReduceSum",
      "ReduceSum",
      "Div",
    ]);
    const max = quantizeGraph(
      graphOf("max", 18, [1, 10_000], (b, x) => b.node("ReduceMax", [x, b.initializer("axes", tensorI64([1], [1]))])),
      [randomArray(r, 10_000, -2, 2)],
    );
    // partial maxima over 5,000 values (the largest divisor within 5,120), then the maximum of the two
    expect(max.layers.map((y) => [y.op, y.attrs.axisSize])).to.deep.equal([
      ["ReduceMax", 5_000],
      ["ReduceMax", 2],
    ]);
    for (const b of [...stepWitnessBounds(soft), ...stepWitnessBounds(max)]) {
      expect(b.gas).to.be.at.most(MAX_STEP_PROOF_GAS);
      expect(b.calldata).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
    }
  });

  (UNDER_COVERAGE ? describe.skip : describe)("on-chain", () => {
    let verifier: IntegerStepVerifier;
    before(async () => {
      verifier = await deployStepVerifier();
    });

    it("X10-11: one element of every layer of each chain is proven through the step verifier, equal to the runtime's, its gas within GAS_MODEL", async () => {
      expect([...above.keys()]).to.have.members(["Softmax", "LogSoftmax", "Norm", "Gemm", "InstanceNorm"]);
      const to = await verifier.getAddress();
      for (const [op, p] of above) {
        const size = p.inputShape.reduce((a, b) => a * b, 1);
        const s = execute(p, quantizeInput(p, randomArray(rng(11), size, -2, 2)));
        const weights = new WeightsCommitment(p);
        for (let k = 0; k < p.layers.length; k++) {
          const e = p.layers[k].outShape.reduce((a, b) => a * b, 1) - 1;
          const sent = cheapestStepProof(p, s, k, e, weights);
          const data = encodeCall(verifier, sent.proof);
          const what = `${op} layer ${k} (${p.layers[k].op})`;
          const value = BigInt.asIntN(256, BigInt(await ethers.provider.call({ to, data })));
          expect(Number(value), what).to.equal(expectedElement(p, s, k, e));
          // the verifier's measured gas within the model's share of the bound (the game's share: X10-5)
          const bound = verifierBound(stepWitnessBounds(p)[k], sent.sparse ? "sparse" : "contiguous");
          const gas = await gasWithin(to, data, bound);
          expect(gas, what).to.be.at.most(bound);
        }
      }
    });
  });
});
