import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { RedundantManager } from "../../typechain-types";
import { bytesOf } from "../../executor/trace/trace";
import { gameFactory, redundantLibraries } from "../helpers/dispute-fixtures";
import { NodeStatus, ProofPart, Resolution } from "../../protocol/constants";
import { MINIMUM_STAKE } from "../helpers/fixtures";
import {
  COLLATERAL,
  deployRedundantFixture,
  FEE,
  GameOutcome,
  namedNodes,
  PARAMS,
  REWARD,
  RequestStatus,
  type RedundantFixture,
} from "./redundant-fixtures";
import {
  commitParty,
  headDescriptor,
  move as moveOnce,
  party as partyOf,
  Phase,
  publishSynthetic,
  syntheticModel,
  type Party,
} from "./synthetic-model";

// What the coverage run found unexercised in the RedundantManager (see the coverage report of branch h-coverage),
// reached here with a SYNTHETIC model (test/redundant/synthetic-model.ts): a published version (fee 0) of two layers
// whose weights root commits to two hand-written layer descriptors, the first a well-formed 15-word head saying
// |S_1| = 80 bytes, the second a malformed 2-byte descriptor. Nodes commit hand-made traces S0 (the input), S1, S2
// (the output), so a test can put any difference anywhere in S1 without running a model. Model publishing is
// permissionless, so a malformed descriptor is something a game must survive.

const REENTRANT_CALL = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

/** |S_1| per layer 0's descriptor: 3 chunks (a tree of 4 leaves), the last chunk half padding. */
const OUT1 = 80;
const IO_BYTES = 32;
const INPUT = Int8Array.from({ length: IO_BYTES }, (_, i) => i - 16);
const MODEL = syntheticModel([headDescriptor(OUT1), "0x1234"]);
const witness = (layer: number) => MODEL.witness(layer);

const NO_SLICE = { firstChunk: 0, chunks: "0x", proof: [] };
const NO_SPARSE_SLICE = { chunkIndices: [], chunks: "0x", proof: [] };

/** The honest S1 with `edits` (byte index -> value), `length` bytes long (more than OUT1: forged padding). */
function s1(edits: Record<number, number> = {}, length = OUT1): Int8Array {
  const s = Int8Array.from({ length }, (_, i) => (i < OUT1 ? (i * 7) % 100 : 0));
  for (const [i, v] of Object.entries(edits)) s[Number(i)] = v;
  return s;
}

function output(first: number): Int8Array {
  const out = new Int8Array(IO_BYTES);
  out[0] = first;
  return out;
}

function party(signer: HardhatEthersSigner, S1: Int8Array, S2: Int8Array): Party {
  return partyOf(signer, [INPUT, S1, S2]);
}

async function commit(f: SyntheticFixture, p: Party, requestId: bigint) {
  return commitParty(f.redundant, p, requestId);
}

/** A request naming operators 0..k-1. */
async function request(f: SyntheticFixture, k = 2, fee = FEE): Promise<bigint> {
  await f.redundant.connect(f.requester).request(f.version, bytesOf(INPUT), fee, namedNodes(f, k));
  return f.redundant.requestCount();
}

/** A k = 2 request committed by A (operator 0) and B (operator 1): the game is open when their outputs differ. */
async function openGame(f: SyntheticFixture, a: Party, b: Party) {
  const requestId = await request(f);
  await commit(f, a, requestId);
  await commit(f, b, requestId);
  return { requestId, gameId: (await f.redundant.getRequest(requestId)).activeGame };
}

/** Plays the next move of the game (the honest move of each party's own states); false once nobody owes one. */
async function move(f: SyntheticFixture, gameId: bigint, a: Party, b: Party): Promise<boolean> {
  return moveOnce(f.redundant, MODEL, gameId, a, b);
}

async function playToEnd(f: SyntheticFixture, gameId: bigint, a: Party, b: Party) {
  for (let i = 0; i < 16 && (await move(f, gameId, a, b)); i++);
}

async function deploySyntheticFixture() {
  const f = await deployRedundantFixture();
  return { ...f, version: await publishSynthetic(f, MODEL, IO_BYTES) };
}

type SyntheticFixture = RedundantFixture & { version: bigint };

describe("RedundantManager (coverage)", function () {
  describe("constructor", function () {
    it("reverts when the token, either registry, Staking or the admin is the zero address", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const contracts = {
        token: await f.token.getAddress(),
        modelRegistry: await f.models.getAddress(),
        nodeRegistry: await f.nodes.getAddress(),
        staking: await f.staking.getAddress(),
        verifier: await f.verifier.getAddress(),
      };
      const factory = await gameFactory("RedundantManager");
      for (const key of ["token", "modelRegistry", "nodeRegistry", "staking"] as const) {
        await expect(
          factory.deploy({ ...contracts, [key]: ethers.ZeroAddress }, f.governor.address, PARAMS),
        ).to.be.revertedWithCustomError(f.redundant, "RedundantManagerZeroAddress");
      }
      await expect(factory.deploy(contracts, ethers.ZeroAddress, PARAMS)).to.be.revertedWithCustomError(
        f.redundant,
        "RedundantManagerZeroAddress",
      );
    });
  });

  describe("request", function () {
    it("a version published without a fee still asks at least 1 per node", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      await expect(f.redundant.connect(f.requester).request(f.version, bytesOf(INPUT), 0n, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerFeeTooLow")
        .withArgs(0n, 1n);
      const tx = f.redundant.connect(f.requester).request(f.version, bytesOf(INPUT), 1n, namedNodes(f, 2));
      await expect(tx).to.changeTokenBalances(f.token, [f.requester, f.redundant], [-2n, 2n]);
      const r = await f.redundant.getRequest(1n);
      await expect(tx)
        .to.emit(f.redundant, "RedundantRequested")
        .withArgs(1n, f.requester.address, f.version, bytesOf(INPUT), 1n, namedNodes(f, 2), r.commitDeadline);
      expect(r.feePerNode).to.equal(1n);
      expect(r.collateral).to.equal(BigInt(PARAMS.collateralMultiplier));
    });
  });

  describe("close", function () {
    it("a closed request whose game is still open: a second close and a late commit are refused", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const requestId = await request(f, 3);
      await commit(f, party(f.operators[0], s1(), output(1)), requestId);
      await expect(commit(f, party(f.operators[1], s1({ 3: 99 }), output(2)), requestId)).to.emit(
        f.redundant,
        "GameOpened",
      );
      const { commitDeadline } = await f.redundant.getRequest(requestId);
      await time.increaseTo(commitDeadline + 1n);
      const tx = f.redundant.close(requestId);
      await expect(tx).to.emit(f.redundant, "RedundantClosed").withArgs(requestId, 2, FEE);
      await expect(tx).to.not.emit(f.redundant, "RedundantFinalized");
      const r = await f.redundant.getRequest(requestId);
      expect(r.closed).to.equal(true);
      expect(r.status).to.equal(RequestStatus.Open);
      await expect(f.redundant.close(requestId))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerAllSlotsFilled")
        .withArgs(requestId);
      await expect(commit(f, party(f.operators[2], s1(), output(1)), requestId))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerCommitClosed")
        .withArgs(requestId, commitDeadline);
    });
  });

  describe("revealRootsAndLocate", function () {
    it("refuses a layer descriptor shorter than its 15-word head, though proven into the weights root", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      // S1 agrees, the outputs differ: the first difference is S2, so layer 1 (the malformed one) is located.
      const a = party(f.operators[0], s1(), output(1));
      const b = party(f.operators[1], s1(), output(2));
      const { gameId } = await openGame(f, a, b);
      await f.redundant.connect(a.signer).revealRoots(gameId, a.roots);
      await expect(f.redundant.connect(b.signer).revealRootsAndLocate(gameId, b.roots, a.roots, witness(1)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadLayer")
        .withArgs(gameId, ProofPart.Descriptor);
    });
  });

  describe("padding of the chunk tree", function () {
    // S1 has 3 chunks in a tree of 4 leaves: leaf 3 is padding (bytes32(0)) in the honest tree.
    it("A's non-empty padding leaf against B's empty one: A loses at once", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const a = party(f.operators[0], s1({ 100: 5 }, 128), output(1));
      const b = party(f.operators[1], s1(), output(2));
      const { requestId, gameId } = await openGame(f, a, b);
      await playToEnd(f, gameId, a, b);
      const logs = await f.redundant.queryFilter(f.redundant.filters.ChildChosen(gameId));
      expect(logs.at(-1)!.args.index).to.equal(3n); // leaf 3: in the padding
      const g = await f.redundant.getGame(gameId);
      expect(g.phase).to.equal(Phase.Resolved);
      expect(g.outcome).to.equal(GameOutcome.AWrong);
      const resolved = await f.redundant.queryFilter(f.redundant.filters.GameResolved(gameId));
      expect(resolved[0].args.reason).to.equal(Resolution.PaddingForged);
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
      expect(await f.redundant.credits(b.signer.address)).to.equal(2n * FEE + REWARD);
    });

    it("both non-empty and different: both lose, the request is rejected and the requester refunded", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const a = party(f.operators[0], s1({ 100: 5 }, 128), output(1));
      const b = party(f.operators[1], s1({ 100: 6 }, 128), output(2));
      const { requestId, gameId } = await openGame(f, a, b);
      const credit = await f.redundant.credits(f.requester.address);
      await playToEnd(f, gameId, a, b);
      expect((await f.redundant.getGame(gameId)).outcome).to.equal(GameOutcome.BothWrong);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Rejected);
      expect(r.escrow).to.equal(0n);
      expect(await f.redundant.credits(f.requester.address)).to.equal(credit + 2n * FEE);
      expect(await f.redundant.queryFilter(f.redundant.filters.RedundantRejected(requestId))).to.have.length(1);
    });

    it("proveStepSparse on a byte past the state's end in its last chunk: 0, without asking the verifier", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      // A writes 7 at byte 85 of S1 (|S1| = 80): chunk 2, byte 21. The verifier is never called, so the proof's
      // slice and rows may be empty.
      const a = party(f.operators[0], s1({ 85: 7 }, 96), output(1));
      const b = party(f.operators[1], s1(), output(2));
      const { gameId } = await openGame(f, a, b);
      while (Number((await f.redundant.getGame(gameId)).phase) !== Phase.AwaitingChunkB) await move(f, gameId, a, b);
      // B takes its time over the last chunk: at the proof, A's clock is the later one and sets the deadline.
      await time.increase(200);
      await move(f, gameId, a, b);
      const g = await f.redundant.getGame(gameId);
      expect(g.phase).to.equal(Phase.AwaitingProof);
      expect(g.clockA).to.be.greaterThan(g.clockB);
      expect(await f.redundant.deadline(gameId)).to.equal(g.turnStartedAt + g.clockA);

      const tx = f.redundant.connect(b.signer).proveStepSparse(gameId, 21, witness(0), NO_SPARSE_SLICE, []);
      await expect(tx)
        .to.emit(f.redundant, "StepProven")
        .withArgs(gameId, 2 * 32 + 21, 7, 0, 0);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(gameId, g.requestId, GameOutcome.AWrong, Resolution.StepRecomputed);
    });

    it("proveStep decides the same padding byte the same way", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const a = party(f.operators[0], s1({ 85: 7 }, 96), output(1));
      const b = party(f.operators[1], s1(), output(2));
      const { gameId } = await openGame(f, a, b);
      await playToEnd(f, gameId, a, b);
      await expect(f.redundant.connect(a.signer).proveStep(gameId, 21, witness(0), NO_SLICE, []))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(gameId, (await f.redundant.getGame(gameId)).requestId, GameOutcome.AWrong, Resolution.StepRecomputed);
    });
  });

  describe("elimination of a loser", function () {
    it("whose stake was slashed and jailed elsewhere: nothing to slash, not jailed again, the winner gets the fee", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const a = party(f.operators[0], s1(), output(1));
      const b = party(f.operators[1], s1({ 3: 99 }), output(2));
      const { requestId, gameId } = await openGame(f, a, b);
      // Another slasher (the fixture's stand-in EOA) takes A's whole stake, locked collateral included, and jails A.
      await f.staking.connect(f.slasher).slash(a.signer.address, MINIMUM_STAKE * 10n, ethers.ZeroAddress, 0);
      await f.nodes.connect(f.slasher).jail(a.signer.address);
      expect(await f.staking.lockedStake(a.signer.address)).to.equal(0n);

      await time.increaseTo((await f.redundant.deadline(gameId)) + 1n);
      const tx = f.redundant.connect(f.stranger).resolveTimeout(gameId);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(gameId, requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(requestId, a.signer.address, 0n, 0n);
      await expect(tx).to.not.emit(f.staking, "StakeSlashed");
      await expect(tx).to.not.emit(f.nodes, "NodeJailed");
      expect(await f.nodes.statusOf(a.signer.address)).to.equal(NodeStatus.Jailed);
      expect(await f.redundant.credits(b.signer.address)).to.equal(2n * FEE);
      expect((await f.redundant.getRequest(requestId)).resultHash).to.equal(ethers.keccak256(bytesOf(output(2))));
    });

    it("that started exiting during the game: slashed and jailed all the same", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const a = party(f.operators[0], s1(), output(1));
      const b = party(f.operators[1], s1({ 3: 99 }), output(2));
      const { requestId, gameId } = await openGame(f, a, b);
      await f.nodes.connect(a.signer).exit();
      expect(await f.nodes.statusOf(a.signer.address)).to.equal(NodeStatus.Exiting);

      await time.increaseTo((await f.redundant.deadline(gameId)) + 1n);
      const tx = f.redundant.connect(f.stranger).resolveTimeout(gameId);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(requestId, a.signer.address, COLLATERAL, REWARD);
      await expect(tx)
        .to.emit(f.nodes, "NodeJailed")
        .withArgs(a.signer.address, await f.redundant.getAddress());
      expect(await f.nodes.statusOf(a.signer.address)).to.equal(NodeStatus.Jailed);
    });
  });

  describe("re-entrancy", function () {
    it("a token that calls back on transfer cannot re-enter any guarded function", async function () {
      const f = await loadFixture(deploySyntheticFixture);
      const token = await ethers.deployContract("ReentrantToken");
      const redundant = (await ethers.deployContract(
        "RedundantManager",
        [
          {
            token: await token.getAddress(),
            modelRegistry: await f.models.getAddress(),
            nodeRegistry: await f.nodes.getAddress(),
            staking: await f.staking.getAddress(),
            verifier: await f.verifier.getAddress(),
          },
          f.governor.address,
          PARAMS,
        ],
        { libraries: await redundantLibraries(f.gameLib) },
      )) as unknown as RedundantManager;
      const address = await redundant.getAddress();
      await token.mint(f.requester.address, 10n * FEE);
      await token.connect(f.requester).approve(address, ethers.MaxUint256);

      const i = redundant.interface;
      const calls = [
        i.encodeFunctionData("request", [f.version, bytesOf(INPUT), FEE, namedNodes(f, 2)]),
        i.encodeFunctionData("commit", [1n, bytesOf(output(1)), ethers.ZeroHash, [], []]),
        i.encodeFunctionData("close", [1n]),
        i.encodeFunctionData("proveStep", [1n, 0, witness(0), NO_SLICE, []]),
        i.encodeFunctionData("proveStepSparse", [1n, 0, witness(0), NO_SPARSE_SLICE, []]),
        i.encodeFunctionData("resolveTimeout", [1n]),
        i.encodeFunctionData("claimCredits"),
      ];
      await token.arm(
        calls.map(() => address),
        calls,
      );
      await expect(redundant.connect(f.requester).request(f.version, bytesOf(INPUT), FEE, namedNodes(f, 2))).to.emit(
        redundant,
        "RedundantRequested",
      );
      expect(await token.resultCount()).to.equal(BigInt(calls.length));
      for (let k = 0; k < calls.length; k++) {
        expect(await token.succeeded(k)).to.equal(false);
        expect(await token.returned(k)).to.equal(REENTRANT_CALL);
      }
      expect(await redundant.requestCount()).to.equal(1n);
      expect(await token.balanceOf(address)).to.equal(2n * FEE);
    });
  });
});
