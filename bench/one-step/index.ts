/**
 * `gas.oneStepMax.<Op>`: for every program operator, the one-step proof of its costliest element at its largest legal
 * size (the largest layer `validateProgram` accepts, so the largest any published program can hold; for the ops that
 * read one byte, a state of 2^24 bytes), sent to the deployed router (`IntegerStepVerifier`) as a transaction's
 * calldata. Each case is proven with both witnesses (a contiguous run of S_k's chunks, and exactly the chunks it
 * reads); a prover sends the cheaper one, so the cheaper is the case's figure (the other is printed), and an op's
 * figure is its costliest case. The worst cases come from each operator area: ./core.ts, ./math.ts, ./spatial.ts,
 * ./shape.ts; the demo models' layers are also measured through full games (bench/disputes.ts: `mlp`, `cnn`).
 */
import hre from "hardhat";

import { PROGRAM_OPS, type Program, execute } from "../../executor/runtime";
import { WeightsCommitment } from "../../executor/trace/weights";
import { buildSparseStepProof, buildStepProof } from "../../game/step-proof";
import { KERNEL_SETS } from "../../protocol/kernel-sets";
import { type IntegerStepVerifier, IntegerStepVerifier__factory } from "../../typechain-types";
import { worstCases as coreCases } from "./core";
import { worstCases as mathCases } from "./math";
import { worstCases as shapeCases } from "./shape";
import { worstCases as spatialCases } from "./spatial";

interface Case {
  op: string;
  what?: string;
  program: Program;
  layer: number;
  element: number;
}

/** A deterministic pseudo-random S_0 for `p` (the gas does not depend on the values, the byte checks do). */
function input(p: Program): Int8Array {
  const n = p.inputShape.reduce((a, b) => a * b, 1);
  const x = new Int8Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s >>> 24) - 128;
  }
  return x;
}

/** The kernel sets and the router over them, as the Ignition module deploys them. */
export async function deployRouter(): Promise<IntegerStepVerifier> {
  const { ethers } = hre;
  const sets: string[] = [];
  for (const name of KERNEL_SETS) sets.push(await (await ethers.deployContract(name)).getAddress());
  return IntegerStepVerifier__factory.connect(
    await (await ethers.deployContract("IntegerStepVerifier", [sets])).getAddress(),
    ethers.provider,
  );
}

/**
 * The gas of proving element `element` of layer `layer` through the router with each witness a transaction can
 * carry, cheapest first (a witness past the block's limits is left out); throws if the verifier's byte differs
 * from the runtime's, or if no witness can be sent.
 */
export async function measureStep(
  verifier: IntegerStepVerifier,
  program: Program,
  states: Int8Array[],
  layer: number,
  element: number,
  weights: WeightsCommitment,
): Promise<{ witness: "contiguous" | "sparse"; gas: number }[]> {
  const { ethers } = hre;
  const to = await verifier.getAddress();
  const want = states[layer + 1][element];
  const measured: { witness: "contiguous" | "sparse"; gas: number }[] = [];
  for (const witness of ["contiguous", "sparse"] as const) {
    let data: string;
    if (witness === "contiguous") {
      const p = buildStepProof(program, states, layer, element, weights);
      data = verifier.interface.encodeFunctionData("computeElement", [p.claim, p.layer, p.slice, p.rows]);
    } else {
      const p = buildSparseStepProof(program, states, layer, element, weights);
      data = verifier.interface.encodeFunctionData("computeElementSparse", [p.claim, p.layer, p.slice, p.rows]);
    }
    try {
      const value = Number(BigInt.asIntN(256, BigInt(await ethers.provider.call({ to, data }))));
      if (value !== want) throw new Error(`layer ${layer}: the verifier computed ${value}, the runtime ${want}`);
      measured.push({ witness, gas: Number(await ethers.provider.estimateGas({ to, data })) });
    } catch (e) {
      // a witness past the block's limits (calldata or gas) is not an option for the prover; the other must be
      if (e instanceof Error && e.message.includes("the verifier computed")) throw e;
    }
  }
  if (measured.length === 0) throw new Error(`layer ${layer} element ${element}: neither witness can be sent`);
  return measured.sort((x, y) => x.gas - y.gas);
}

/** Deploys the verifier and proves every worst case; `log` gets one line per case. */
export async function benchOneStep(log: (line: string) => void = () => {}): Promise<Record<string, number>> {
  const verifier = await deployRouter();
  const cases: Case[] = [...coreCases(), ...mathCases(), ...spatialCases(), ...shapeCases()];
  const worst: Record<string, number> = {};
  for (const c of cases) {
    const states = execute(c.program, input(c.program));
    const [best, other] = await measureStep(
      verifier,
      c.program,
      states,
      c.layer,
      c.element,
      new WeightsCommitment(c.program),
    ).catch((e: Error) => {
      throw new Error(`${c.op}: ${e.message}`);
    });
    log(
      `  ${c.op.padEnd(14)}${c.what ? ` ${c.what}:` : ""} ${best.gas.toLocaleString("en-US").padStart(10)} gas (${best.witness})` +
        (other ? `, ${other.witness} ${other.gas.toLocaleString("en-US")}` : ""),
    );
    worst[c.op] = Math.max(worst[c.op] ?? 0, best.gas);
  }
  const missing = PROGRAM_OPS.filter((op) => worst[op] === undefined);
  if (missing.length > 0) throw new Error(`bench/one-step: no worst case for ${missing.join(", ")}`);
  return worst;
}
