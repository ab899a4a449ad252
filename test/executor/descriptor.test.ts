/**
 * L5: a layer descriptor is the publisher's data (only its hash is committed), so the one-step verifier must not
 * trust that attributes meant as sizes, counts or indices are non-negative. `Descriptor.uscalar` and
 * `Descriptor.uattr` revert `DescriptorNegativeAttribute(name, value)` on a negative one, instead of reading it as a
 * huge uint256; and the TypeScript program validator refuses every such value before a program is ever committed.
 */
import { expect } from "chai";
import { AbiCoder, concat, hexlify, keccak256 } from "ethers";

import { ProgramDecodeError } from "../../executor/errors";
import { buildStepProof, type StepProof } from "../../game/step-proof";
import { execute, validateProgram, type Program } from "../../executor/runtime";
import { DESCRIPTOR_ABI_TYPES, WeightsCommitment } from "../../executor/trace/weights";
import type { CoreKernels, IntegerStepVerifier } from "../../typechain-types";
import { GENERATORS, Rng, program } from "../disputes/step-fixtures";
import { deployStepVerifier, kernelErrors } from "../helpers/step-verifier";

/** The proof with one attribute value of its descriptor replaced, re-committed as a one-layer weights tree. */
function withAttribute(proof: StepProof, name: string, index: number, value: bigint): StepProof {
  const fields = AbiCoder.defaultAbiCoder().decode(DESCRIPTOR_ABI_TYPES, proof.layer.descriptor).toArray();
  const names = fields[4].toArray() as string[];
  const k = names.indexOf(name);
  expect(k, `attribute ${name}`).to.be.at.least(0);
  const values = (fields[6].toArray() as { toArray(): bigint[] }[]).map((v) => v.toArray());
  values[k][index] = value;
  fields[6] = values;
  const descriptor = hexlify(AbiCoder.defaultAbiCoder().encode(DESCRIPTOR_ABI_TYPES, fields));
  const layerRoot = keccak256(concat([keccak256(descriptor), proof.layer.rowsRoot]));
  return {
    ...proof,
    claim: { ...proof.claim, weightsRoot: layerRoot, layerCount: 1, layer: 0 },
    layer: { descriptor, rowsRoot: proof.layer.rowsRoot, layerProof: [] },
  };
}

function args(p: StepProof) {
  return [p.claim, p.layer, p.slice, p.rows] as const;
}

/** An honest proof of `element` of the only layer of `p` (states from a seeded input). */
function proofOf(p: Program, element: number): { proof: StepProof; want: number } {
  const s = execute(p, new Rng(1).int8s(p.inputShape.reduce((a, b) => a * b, 1)));
  return { proof: buildStepProof(p, s, 0, element, new WeightsCommitment(p)), want: s[1][element] };
}

describe("Descriptor: negative attributes (L5)", function () {
  let verifier: IntegerStepVerifier;
  let kernels: CoreKernels;
  before(async () => {
    verifier = await deployStepVerifier();
    kernels = await kernelErrors(verifier);
  });

  const K = 40;
  const gemm = program(
    [1, K],
    [
      {
        op: "Gemm",
        inputs: [0],
        output: 1,
        outShape: [1, 4],
        attrs: { k: K, n: 4, zIn: -3, zOut: 0, clampMin: -128, clampMax: 127 },
        weights: new Rng(2).int8s(4 * K, -127, 127),
        bias: new Rng(3).int32s(4, -100, 100),
        multiplier: Int32Array.of(20000),
        shift: Int32Array.of(24),
      },
    ],
  );

  it("accepts the re-committed honest descriptor (the baseline of the reverts below)", async () => {
    const { proof, want } = proofOf(gemm, 2);
    expect(Number(await verifier.computeElement(...args(withAttribute(proof, "n", 0, 4n))))).to.equal(want);
  });

  it("X10-7: uscalar reverts DescriptorNegativeAttribute on a negative scalar (Gemm n = -1, which the old cast read as 2^256 - 1 and answered)", async () => {
    const { proof } = proofOf(gemm, 2);
    await expect(verifier.computeElement(...args(withAttribute(proof, "n", 0, -1n))))
      .to.be.revertedWithCustomError(kernels, "DescriptorNegativeAttribute")
      .withArgs("n", -1n);
    await expect(verifier.computeElement(...args(withAttribute(proof, "k", 0, -40n))))
      .to.be.revertedWithCustomError(kernels, "DescriptorNegativeAttribute")
      .withArgs("k", -40n);
  });

  it("X10-7: uattr reverts DescriptorNegativeAttribute on a negative entry of an array attribute (Conv pads, MaxPool strides, Transpose perm, Add shapes)", async () => {
    const r = new Rng(17);
    const cases: [string, string, number][] = [
      ["Conv", "pads", 1],
      ["MaxPool", "strides", 0],
      ["Transpose", "perm", 0],
      ["Add", "aShape", 0],
    ];
    for (const [op, name, index] of cases) {
      const p = GENERATORS[op](r);
      const layer = p.layers.findIndex((l) => l.op === op);
      // the program up to that layer, so that its output is the last state
      const q: Program = { ...p, layers: p.layers.slice(0, layer + 1), outputShape: p.layers[layer].outShape };
      const s = execute(q, new Rng(1).int8s(q.inputShape.reduce((a, b) => a * b, 1)));
      const proof = buildStepProof(q, s, layer, s[layer + 1].length - 1, new WeightsCommitment(q));
      await expect(verifier.computeElement(...args(withAttribute(proof, name, index, -1n))), `${op} ${name}`)
        .to.be.revertedWithCustomError(kernels, "DescriptorNegativeAttribute")
        .withArgs(name, -1n);
    }
  });

  it("X10-8: the program validator refuses a negative value in every attribute the verifier reads as unsigned", () => {
    // [op, attribute, index in an array attribute or -1 for a scalar]
    const unsigned: [string, string, number][] = [
      ["Gemm", "k", -1],
      ["Gemm", "n", -1],
      ...["inChw", "outChw", "kernel", "strides", "pads", "dilations"].map((a): [string, string, number] => [
        "Conv",
        a,
        0,
      ]),
      ["Conv", "group", -1],
      ...["inChw", "outHw", "kernel", "strides", "pads", "dilations"].map((a): [string, string, number] => [
        "MaxPool",
        a,
        1,
      ]),
      ...["inChw", "outHw", "kernel", "strides", "pads"].map((a): [string, string, number] => ["AveragePool", a, 0]),
      ["Softmax", "axisSize", -1],
      ["Softmax", "inner", -1],
      ["Affine", "channels", -1],
      ["Affine", "inner", -1],
      ["Add", "aShape", 0],
      ["Mul", "bShape", 0],
      ["Transpose", "perm", 0],
    ];
    const r = new Rng(23);
    for (const [op, name, index] of unsigned) {
      let p = GENERATORS[op](r);
      let layer = p.layers.findIndex((l) => l.op === op && name in l.attrs);
      while (layer < 0) {
        p = GENERATORS[op](r);
        layer = p.layers.findIndex((l) => l.op === op && name in l.attrs);
      }
      validateProgram(p);
      const attrs = { ...p.layers[layer].attrs };
      const v = attrs[name];
      if (index < 0) attrs[name] = -1;
      else attrs[name] = (v as number[]).map((x, i) => (i === index ? -1 : x));
      const bad: Program = { ...p, layers: p.layers.map((l, i) => (i === layer ? { ...l, attrs } : l)) };
      expect(() => validateProgram(bad), `${op} ${name}`).to.throw(
        ProgramDecodeError,
        new RegExp(`layer ${layer} \\(${op}\\)`),
      );
    }
    // the requantization shift is unsigned on-chain too (KernelIO.roundShift): [1, 46] only
    const p = GENERATORS.Gemm(r);
    const l = p.layers.findIndex((x) => x.op === "Gemm");
    const shift = Int32Array.from(p.layers[l].shift!, () => -1);
    expect(() => validateProgram({ ...p, layers: p.layers.map((x, i) => (i === l ? { ...x, shift } : x)) })).to.throw(
      ProgramDecodeError,
      /shift -1 outside \[1, 46\]/,
    );
  });
});
