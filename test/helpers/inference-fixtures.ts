import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { InferenceManager } from "../../typechain-types";
import { InferenceRequestStatus, NodeStatus } from "../../protocol/constants";
import { deployProtocolFixture, INITIAL_BALANCE, MINIMUM_STAKE, MODE, ONE, versionSpec } from "./fixtures";
import type { ProtocolFixture } from "./fixtures";

export const DIGITS_VERSION = 1n; // digits MLP shapes: 784 int8 in, 10 int8 out
export const WIDE_VERSION = 2n; // 256 int8 in, 256 int8 out (the gas benchmark payload)
export const DIGITS_INPUT_BYTES = 784;
export const DIGITS_OUTPUT_BYTES = 10;
export const WIDE_BYTES = 256;
export const VERSION_FEE = ONE;
export const CHALLENGE_WINDOW = 3600n;
export const REQUEST_TIMEOUT = 3600n;
export const COLLATERAL_MULTIPLIER = 10n;
export const MAX_CALLBACK_GAS = 500_000n;
export const SERVE_TIMEOUT = 300n;
/** The share of an abandoned claim's penalty paid to the requester (Staking's MAX_REWARD_PPM). */
export const CLAIM_PENALTY_REWARD_PPM = 500_000n;

/**
 * A generated enum's members as the bigints ethers decodes a `uint8` enum into (`statusOf` returns `5n`), so that
 * tests can also compare with `===` and keep them in `Set<bigint>`s.
 */
function asBigints<E extends Record<string, string | number>>(e: E): { readonly [K in keyof E]: bigint } {
  const entries = Object.entries(e).filter(([, v]) => typeof v === "number");
  return Object.fromEntries(entries.map(([k, v]) => [k, BigInt(v)])) as { readonly [K in keyof E]: bigint };
}

/** NodeRegistry's NodeStatus (the generated `NodeStatus`), as bigints. */
export const NODE_STATUS = asBigints(NodeStatus);

/** InferenceManager's request status (the generated `InferenceRequestStatus`), as bigints. */
export const STATUS = asBigints(InferenceRequestStatus);

export interface InferenceFixture extends ProtocolFixture {
  manager: InferenceManager;
  disputer: HardhatEthersSigner; // stand-in EOA holding DISPUTE_ROLE
  requesters: HardhatEthersSigner[];
  node: HardhatEthersSigner; // operators[0]
  node2: HardhatEthersSigner; // operators[1]
  outsider: HardhatEthersSigner; // operators[2]: staked but not registered
}

/** Deploys the manager (with its linked InferenceLib) against the given foundation contracts. */
export async function deployInferenceManager(
  f: Pick<ProtocolFixture, "staking" | "models" | "nodes" | "governor">,
): Promise<InferenceManager> {
  const lib = await ethers.deployContract("InferenceLib");
  const factory = await ethers.getContractFactory("InferenceManager", {
    libraries: { InferenceLib: await lib.getAddress() },
  });
  const manager = (await factory.deploy(
    await f.staking.getAddress(),
    await f.models.getAddress(),
    await f.nodes.getAddress(),
    f.governor.address,
  )) as unknown as InferenceManager;
  await manager.waitForDeployment();
  return manager;
}

/**
 * The foundation fixture plus the InferenceManager wired as a deployment wires it: INFERENCE_ROLE and SLASHER_ROLE
 * (abandoned claims) on Staking, DISPUTE_ROLE to a stand-in EOA (`disputer`). Two published versions (see DIGITS_VERSION, WIDE_VERSION), both
 * supporting NONE, OPTIMISTIC and TEE, fee VERSION_FEE. Operators 0 and 1 are staked (2x the minimum) and serve
 * both versions; operator 2 is staked but not registered. Requesters hold INITIAL_BALANCE tokens each and have
 * approved the manager for all of it.
 */
export async function deployInferenceFixture(): Promise<InferenceFixture> {
  const f = await deployProtocolFixture();
  const signers = await ethers.getSigners();
  const requesters = signers.slice(12, 16);
  const modes = MODE.NONE | MODE.OPTIMISTIC | MODE.TEE;
  await f.models.connect(f.publisher).publishModel("digits-mlp", versionSpec({ modes }));
  await f.models
    .connect(f.publisher)
    .publishModel("wide", versionSpec({ modes, inputShape: [1, 256], outputShape: [16, 16] }));

  const manager = await deployInferenceManager(f);
  await f.staking.connect(f.governor).grantRole(await f.staking.INFERENCE_ROLE(), await manager.getAddress());
  await f.staking.connect(f.governor).grantRole(await f.staking.SLASHER_ROLE(), await manager.getAddress());
  await manager.connect(f.governor).grantRole(await manager.DISPUTE_ROLE(), f.slasher.address);

  const [node, node2, outsider] = f.operators;
  for (const op of [node, node2, outsider]) await f.staking.connect(op).stake(MINIMUM_STAKE * 2n);
  await f.nodes.connect(node).register("https://node-0.verity.local", [DIGITS_VERSION, WIDE_VERSION]);
  await f.nodes.connect(node2).register("https://node-1.verity.local", [DIGITS_VERSION, WIDE_VERSION]);

  for (const r of requesters) {
    await f.token.connect(f.governor).mint(r.address, INITIAL_BALANCE);
    await f.token.connect(r).approve(await manager.getAddress(), ethers.MaxUint256);
  }
  return { ...f, manager, disputer: f.slasher, requesters, node, node2, outsider };
}

/** Deterministic pseudo-random bytes of `length` (seeded), as a 0x hex string. */
export function bytesOf(length: number, seed = 1): string {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return ethers.hexlify(out);
}

export function commitmentHash(outputHash: string, traceRoot: string): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [outputHash, traceRoot]));
}

export function leafHash(requestId: bigint, outputHash: string, traceRoot: string): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32", "bytes32"], [requestId, outputHash, traceRoot]),
  );
}

function hashPair(a: string, b: string): string {
  return ethers.keccak256(ethers.concat([a, b]));
}

/** All levels of the COMMITMENTS.md §1 tree over `leaves` (used directly), padded with bytes32(0). */
export function merkleLevels(leaves: string[]): string[][] {
  const zero = ethers.ZeroHash;
  const levels: string[][] = [leaves.slice()];
  let z = zero;
  while (levels[levels.length - 1].length > 1) {
    const cur = levels[levels.length - 1];
    const next: string[] = [];
    for (let i = 0; i < cur.length; i += 2) next.push(hashPair(cur[i], i + 1 < cur.length ? cur[i + 1] : z));
    z = hashPair(z, z);
    levels.push(next);
  }
  return levels;
}

export function merkleRoot(leaves: string[]): string {
  if (leaves.length === 0) return ethers.ZeroHash;
  const levels = merkleLevels(leaves);
  return levels[levels.length - 1][0];
}

/** The sibling path of leaf `index` (empty-subtree roots where the tree is padded). */
export function merkleProof(leaves: string[], index: number): string[] {
  const levels = merkleLevels(leaves);
  const proof: string[] = [];
  let z = ethers.ZeroHash;
  let i = index;
  for (let k = 0; k < levels.length - 1; k++) {
    const sib = i ^ 1;
    proof.push(sib < levels[k].length ? levels[k][sib] : z);
    z = hashPair(z, z);
    i >>= 1;
  }
  return proof;
}

/** A batch of results for `requestIds` (sorted), with deterministic output hashes and trace roots. */
export function makeBatch(requestIds: bigint[], seed = 7) {
  const outputHashes = requestIds.map((id) => ethers.keccak256(bytesOf(32, Number(id) * 31 + seed)));
  const traceRoots = requestIds.map((id) => ethers.keccak256(bytesOf(32, Number(id) * 17 + seed + 1)));
  const leaves = requestIds.map((id, i) => leafHash(id, outputHashes[i], traceRoots[i]));
  return { requestIds, outputHashes, traceRoots, leaves, root: merkleRoot(leaves) };
}
