/**
 * Gas of the inference path (issue 4), measured from receipts on Hardhat's in-process network. bench/run.ts stores
 * the result under `gas`.
 *
 * The calls (version WIDE: 256-byte input and 256-byte output, OPTIMISTIC, ERC20 fee, no callback):
 *   request      a requester's request with a chosen node (infinite allowance; the manager already holds fees).
 *   commit       the node's commitment of that request.
 *   finalize     settlement after the window (the node already has unclaimed credits from an earlier request).
 *   requestCommitFinalize  the sum of the three.
 *   finalizeFirstCredit    finalize when the node's credit balance is zero (the credit slot is written fresh).
 *   finalizeWithCallback   finalize of a request with a DigitConsumer-like recording callback (digits version).
 *   requestFirstOnVersion  the first request on the digits version (784-byte input, chosen node): the manager reads
 *                the version's terms from the ModelRegistry (`requestTerms`) and caches them.
 *   claim        an eligible node's claim of an open request (the node already has collateral locked).
 *   commitClaimed  the claimant's commitment of that request.
 *   commitBatchPerInference16 / 256  (commitBatch + finalizeBatch) / n for a batch of n requests of one node.
 *   proveBatchLeaf256  materializing one leaf of a 256-leaf batch (the first step of a dispute on a batched result).
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";

import {
  bytesOf,
  CHALLENGE_WINDOW,
  deployInferenceFixture,
  DIGITS_VERSION,
  makeBatch,
  merkleProof,
  VERSION_FEE,
  WIDE_VERSION,
} from "../test/helpers/inference-fixtures";
import { MODE, ONE } from "../test/helpers/fixtures";

const { ethers } = hre;

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

export async function benchInference(): Promise<Record<string, number>> {
  const f = await deployInferenceFixture();
  const { manager, node } = f;
  const [warm, requester] = f.requesters;
  const input = bytesOf(256, 3);
  const output = bytesOf(256, 4);
  const traceRoot = ethers.keccak256(bytesOf(32, 5));
  const none = ethers.ZeroAddress;
  await f.staking.connect(node).stake(10_000n * ONE); // collateral for a 256-leaf batch

  // Warm-up: the manager holds fees and the node holds credits, as on a live deployment.
  await manager.connect(warm).request(WIDE_VERSION, input, VERSION_FEE, node.address, MODE.OPTIMISTIC, none, 0);
  await manager.connect(node).commit(1n, output, traceRoot);
  await manager.connect(warm).request(WIDE_VERSION, input, VERSION_FEE, node.address, MODE.OPTIMISTIC, none, 0);
  await manager.connect(node).commit(2n, output, traceRoot);
  await time.increase(CHALLENGE_WINDOW);
  const finalizeFirstCredit = await gasOf(manager.finalize(1n, "0x", ethers.ZeroHash));

  const request = await gasOf(
    manager.connect(requester).request(WIDE_VERSION, input, VERSION_FEE, node.address, MODE.OPTIMISTIC, none, 0),
  );
  const commit = await gasOf(manager.connect(node).commit(3n, output, traceRoot));
  await time.increase(CHALLENGE_WINDOW);
  const finalize = await gasOf(manager.finalize(3n, "0x", ethers.ZeroHash));

  // An open request, claimed by the node (request 2 still holds collateral), then committed.
  await manager.connect(requester).request(WIDE_VERSION, input, VERSION_FEE, none, MODE.OPTIMISTIC, none, 0);
  const openId = await manager.requestCount();
  const claim = await gasOf(manager.connect(node).claim(openId));
  const commitClaimed = await gasOf(manager.connect(node).commit(openId, output, traceRoot));

  // The first request on the digits version (784-byte input): the manager reads the version's terms from the
  // ModelRegistry and caches them.
  const digitsInput = bytesOf(784, 9);
  const requestFirstOnVersion = await gasOf(
    manager
      .connect(requester)
      .request(DIGITS_VERSION, digitsInput, VERSION_FEE, node.address, MODE.OPTIMISTIC, none, 0),
  );

  // A callback request on the digits version (10-byte output), consumer records the result.
  const consumer = await ethers.deployContract("DigitConsumer", [await manager.getAddress()]);
  const digitsOutput = bytesOf(10, 10);
  await manager
    .connect(requester)
    .request(
      DIGITS_VERSION,
      digitsInput,
      VERSION_FEE,
      node.address,
      MODE.OPTIMISTIC,
      await consumer.getAddress(),
      100_000,
    );
  const cbId = await manager.requestCount();
  await manager.connect(node).commit(cbId, digitsOutput, traceRoot);
  await time.increase(CHALLENGE_WINDOW);
  const finalizeWithCallback = await gasOf(manager.finalize(cbId, digitsOutput, traceRoot));

  const result: Record<string, number> = {
    request,
    commit,
    finalize,
    requestCommitFinalize: request + commit + finalize,
    finalizeFirstCredit,
    finalizeWithCallback,
    requestFirstOnVersion,
    claim,
    commitClaimed,
  };

  // commitBatchPerInference16Claimed: the same 16-leaf batch over open requests the node claimed.
  for (const [n, claimed] of [
    [16, false],
    [256, false],
    [16, true],
  ] as const) {
    const first = (await manager.requestCount()) + 1n;
    for (let i = 0; i < n; i++) {
      await manager
        .connect(requester)
        .request(WIDE_VERSION, input, VERSION_FEE, claimed ? none : node.address, MODE.OPTIMISTIC, none, 0);
      if (claimed) await manager.connect(node).claim(first + BigInt(i));
    }
    const ids = Array.from({ length: n }, (_, i) => first + BigInt(i));
    const batch = makeBatch(ids);
    const commitGas = await gasOf(
      manager.connect(node).commitBatch(batch.requestIds, batch.outputHashes, batch.traceRoots),
    );
    const batchId = await manager.batchCount();
    if (n === 256) {
      result.proveBatchLeaf256 = await gasOf(
        manager.proveBatchLeaf(
          batchId,
          5,
          ids[5],
          batch.outputHashes[5],
          batch.traceRoots[5],
          merkleProof(batch.leaves, 5),
        ),
      );
    }
    await time.increase(CHALLENGE_WINDOW);
    const finalizeGas = await gasOf(manager.finalizeBatch(batchId, batch.requestIds));
    result[`commitBatchPerInference${n}${claimed ? "Claimed" : ""}`] = Math.ceil((commitGas + finalizeGas) / n);
  }
  return result;
}

if (require.main === module) {
  benchInference()
    .then((r) => console.table(r))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
}
