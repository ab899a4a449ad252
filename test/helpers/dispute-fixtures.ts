import { ethers } from "hardhat";
import { keccak256, hexlify } from "ethers";

import type { DisputeManager, GameLib } from "../../typechain-types";
import { demoModel, readDigits, type DemoModelName } from "../../models/demo-models";
import { bytesOf } from "../../executor/trace/trace";
import { deployProtocolFixture, MINIMUM_STAKE, MODE, ONE, versionSpec } from "./fixtures";
import { deployInferenceManager } from "./inference-fixtures";
import { deployStepVerifier } from "./step-verifier";

export const BOND = 5n * ONE;
export const MOVE_CLOCK = 3600n; // one hour per side, the brief's default
export const CLOCK_EXTENSION = 600n;
export const REWARD_PPM = 500_000n;
/** What an honest node is credited from a challenger's forfeited bond. */
export const NODE_SHARE = (BOND * REWARD_PPM) / 1_000_000n;
export const FEE = ONE;

/**
 * The whole protocol wired as in production: InferenceManager holds INFERENCE_ROLE and SLASHER_ROLE (abandoned
 * claims) on Staking; DisputeManager holds SLASHER_ROLE on Staking and NodeRegistry and DISPUTE_ROLE on
 * InferenceManager. Both demo models are published with their real commitments (version 1 = MLP, version 2 = CNN);
 * operators 0 and 1 are staked and registered on both; the requester and the challenger are funded and have approved
 * everything.
 */
export async function deployDisputeFixture() {
  const f = await deployProtocolFixture();
  const { token, staking, models, nodes, governor, publisher, operators } = f;
  const [requester, challenger] = [operators[4], operators[5]];

  const inference = await deployInferenceManager(f);
  const verifier = await deployStepVerifier();
  const gameLib = (await ethers.deployContract("GameLib")) as unknown as GameLib;
  const disputes = (await ethers.deployContract(
    "DisputeManager",
    [
      {
        token: await token.getAddress(),
        inference: await inference.getAddress(),
        modelRegistry: await models.getAddress(),
        nodeRegistry: await nodes.getAddress(),
        staking: await staking.getAddress(),
        verifier: await verifier.getAddress(),
      },
      governor.address,
      BOND,
      MOVE_CLOCK,
      CLOCK_EXTENSION,
      REWARD_PPM,
    ],
    { libraries: await gameLibraries(gameLib) },
  )) as unknown as DisputeManager;

  await staking.connect(governor).grantRole(await staking.INFERENCE_ROLE(), await inference.getAddress());
  await staking.connect(governor).grantRole(await staking.SLASHER_ROLE(), await inference.getAddress());
  await staking.connect(governor).grantRole(await staking.SLASHER_ROLE(), await disputes.getAddress());
  await nodes.connect(governor).grantRole(await nodes.SLASHER_ROLE(), await disputes.getAddress());
  await inference.connect(governor).grantRole(await inference.DISPUTE_ROLE(), await disputes.getAddress());

  for (const name of ["mlp", "cnn"] as const) {
    const m = demoModel(name);
    const p = m.program;
    await models.connect(publisher).publishModel(
      `digits-${name}`,
      versionSpec({
        artifactCid: hexlify(m.artifactCid),
        programDigest: m.programDigest,
        weightsRoot: m.weights.root,
        layerCount: p.layers.length,
        inputShape: p.inputShape,
        outputShape: p.outputShape,
        modes: MODE.OPTIMISTIC | MODE.NONE | MODE.TEE | MODE.ZK,
        fee: FEE,
      }),
    );
  }
  for (const op of operators.slice(0, 2)) {
    await staking.connect(op).stake(MINIMUM_STAKE * 2n);
    await nodes.connect(op).register(`http://127.0.0.1:${7000 + operators.indexOf(op)}`, [1, 2]);
  }
  for (const who of [requester, challenger]) {
    await token.connect(who).approve(await inference.getAddress(), ethers.MaxUint256);
    await token.connect(who).approve(await disputes.getAddress(), ethers.MaxUint256);
  }
  return { ...f, inference, verifier, gameLib, disputes, requester, challenger };
}

/** The link map of the two games' shared library (contracts/game/GameLib.sol): a fresh one unless `gameLib` is given. */
export async function gameLibraries(gameLib?: GameLib): Promise<{ GameLib: string }> {
  const lib = gameLib ?? (await ethers.deployContract("GameLib"));
  return { GameLib: await lib.getAddress() };
}

/**
 * The link map of the RedundantManager: GameLib (fresh unless `gameLib` is given) and its own RedundantLib
 * (contracts/redundant/RedundantLib.sol), itself linked to that GameLib.
 */
export async function redundantLibraries(gameLib?: GameLib): Promise<{ GameLib: string; RedundantLib: string }> {
  const game = await gameLibraries(gameLib);
  const lib = await ethers.deployContract("RedundantLib", { libraries: game });
  return { ...game, RedundantLib: await lib.getAddress() };
}

/** A factory of `name` (a user of GameLib) linked to fresh libraries. */
export async function gameFactory(name: "DisputeManager" | "RedundantManager") {
  const libraries = name === "RedundantManager" ? await redundantLibraries() : await gameLibraries();
  return ethers.getContractFactory(name, { libraries });
}

export type DisputeFixture = Awaited<ReturnType<typeof deployDisputeFixture>>;

export const VERSION_OF: Record<DemoModelName, bigint> = { mlp: 1n, cnn: 2n };

/** Held-out digit `i`, quantized for `name`: the request input S0. */
export function digitInput(name: DemoModelName, i: number): { s0: Int8Array; label: number } {
  const digits = readDigits("digits-test.json");
  const index = i % digits.images.length;
  return { s0: demoModel(name).quantize(digits.images[index]), label: digits.labels[index] };
}

/** Requests an inference of `name` on `s0` from `node` (in `mode`, default OPTIMISTIC) and returns the request id. */
export async function requestFrom(
  f: DisputeFixture,
  name: DemoModelName,
  s0: Int8Array,
  node: string,
  mode: number = MODE.OPTIMISTIC,
): Promise<bigint> {
  const tx = await f.inference
    .connect(f.requester)
    .request(VERSION_OF[name], bytesOf(s0), FEE, node, mode, ethers.ZeroAddress, 0);
  const receipt = await tx.wait();
  for (const log of receipt!.logs) {
    const parsed = f.inference.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") return parsed.args.requestId as bigint;
  }
  throw new Error("no InferenceRequested event");
}

export function outputHashOf(state: Int8Array): string {
  return keccak256(bytesOf(state));
}
