import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { bytesOf } from "../../executor/trace/trace";
import { MODE, ONE } from "../helpers/fixtures";
import {
  BOND,
  deployDisputeFixture,
  digitInput,
  FEE,
  NODE_SHARE,
  outputHashOf,
  requestFrom,
  VERSION_OF,
  type DisputeFixture,
} from "../helpers/dispute-fixtures";
import { oneLayerDisputeAtStep, openGame, Outcome, runGame, viewFor } from "../helpers/dispute-game";
import {
  InferenceRequestStatus as RequestStatus,
  NodeStatus,
  Resolution,
  StateRootsFault,
} from "../../protocol/constants";

/**
 * Regression tests for the findings of the adversarial review (issue 10) that concern the challenger-against-node
 * game. Each test was written first and failed on the code before its fix.
 */

describe("DisputeManager (security findings)", function () {
  this.timeout(180_000);

  describe("F1: the output's length is bound by the game", function () {
    /** A batch leaf whose output is the true 10 bytes followed by five zero bytes, with the TRUE trace root. */
    async function paddedBatchLeaf(f: DisputeFixture) {
      const node = f.operators[0];
      const { s0 } = digitInput("mlp", 3);
      const view = viewFor("mlp", s0);
      const L = view.states.length - 1;
      const trueOutput = bytesOf(view.states[L]);
      expect(trueOutput.length).to.equal(10);
      const padded = new Uint8Array(15);
      padded.set(trueOutput);
      const requestId = await requestFrom(f, "mlp", s0, node.address);
      const paddedHash = keccak256(padded);
      const traceRoot = view.trace.traceRoot;
      await f.inference.connect(node).commitBatch([requestId], [paddedHash], [traceRoot]);
      const batchId = await f.inference.batchCount();
      await f.inference.connect(f.challenger).proveBatchLeaf(batchId, 0, requestId, paddedHash, traceRoot, []);
      const disputeId = (await f.disputes.disputeCount()) + 1n;
      await f.disputes.connect(f.challenger).openDispute(requestId, paddedHash, traceRoot);
      return { node, view, requestId, disputeId, padded, trueOutput, roots: [...view.trace.stateRoots], L };
    }

    it("G9, F1: refuses to reveal a zero-padded output, so the node times out, is slashed and the request rejected", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const { node, view, requestId, disputeId, padded, trueOutput, roots } = await paddedBatchLeaf(f);
      const input = bytesOf(view.states[0]);
      // The padded output hashes to the commitment, and its chunk root is the true output's: refused by length.
      await expect(f.disputes.connect(node).revealStateRoots(disputeId, roots, input, padded))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadOutputLength")
        .withArgs(disputeId, 15, 10);
      // The true output has the right length but is not what the node committed.
      await expect(f.disputes.connect(node).revealStateRoots(disputeId, roots, input, trueOutput))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(disputeId, StateRootsFault.OutputCommitment);

      const stakeBefore = await f.staking.totalStake(node.address);
      await time.increaseTo((await f.disputes.deadline(disputeId)) + 1n);
      await expect(f.disputes.connect(f.stranger).resolveTimeout(disputeId))
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(disputeId, requestId, Outcome.NodeWrong, Resolution.NodeTimedOut);
      const collateral = FEE * (await f.inference.collateralMultiplier());
      expect(await f.staking.totalStake(node.address)).to.equal(stakeBefore - collateral);
      expect(await f.inference.statusOf(requestId)).to.equal(RequestStatus.Rejected);
      expect(await f.nodes.statusOf(node.address)).to.equal(NodeStatus.Jailed);
      expect(await f.disputes.credits(f.challenger.address)).to.be.greaterThan(BOND);
    });

    it("G9, F1: records the registered output length in the dispute", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const { disputeId } = await paddedBatchLeaf(f);
      expect((await f.disputes.getDispute(disputeId)).outputLength).to.equal(10);
    });
  });

  describe("F2: a node proven wrong ends jailed whatever its status", function () {
    it("G10, F2: a node that exits with nothing locked cannot commit a lie afterwards", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const node = f.operators[0];
      const { s0 } = digitInput("mlp", 4);
      const lie = viewFor("mlp", s0, { step: 2, byte: 3 });
      const requestId = await requestFrom(f, "mlp", s0, node.address);
      await f.nodes.connect(node).exit();
      await f.nodes.connect(node).completeExit();
      expect(await f.nodes.statusOf(node.address)).to.equal(NodeStatus.Exited);
      const L = lie.states.length - 1;
      // Before issue 10 the commit went through, and the node, slashed but left Exited, could register again.
      await expect(f.inference.connect(node).commit(requestId, bytesOf(lie.states[L]), lie.trace.traceRoot))
        .to.be.revertedWithCustomError(f.inference, "InferenceManagerNodeInactive")
        .withArgs(node.address, NodeStatus.Exited);
      await expect(
        f.inference.connect(node).commitBatch([requestId], [outputHashOf(lie.states[L])], [lie.trace.traceRoot]),
      )
        .to.be.revertedWithCustomError(f.inference, "InferenceManagerNodeInactive")
        .withArgs(node.address, NodeStatus.Exited);
    });

    it("G10: a node that asks to exit after committing a lie ends Jailed when the game proves it wrong", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, { model: "mlp", digit: 5, nodeLie: { step: 2, byte: 3 } });
      await f.nodes.connect(game.node).exit();
      expect(await f.nodes.statusOf(game.node.address)).to.equal(NodeStatus.Exiting);
      const result = await runGame(f, game);
      expect(result.outcome).to.equal(Outcome.NodeWrong);
      expect(await f.nodes.statusOf(game.node.address)).to.equal(NodeStatus.Jailed);
      expect(await f.inference.statusOf(game.requestId)).to.equal(RequestStatus.Rejected);
      await expect(f.nodes.connect(game.node).completeExit())
        .to.be.revertedWithCustomError(f.nodes, "NodeRegistryInvalidStatus")
        .withArgs(game.node.address, NodeStatus.Jailed);
    });

    it("G10, F2: NodeRegistry jails an Exited node, so `register` cannot reactivate it", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const node = f.operators[1];
      await f.nodes.connect(f.governor).grantRole(await f.nodes.SLASHER_ROLE(), f.governor.address);
      await f.nodes.connect(node).exit();
      await f.nodes.connect(node).completeExit();
      expect(await f.nodes.statusOf(node.address)).to.equal(NodeStatus.Exited);
      await expect(f.nodes.connect(f.governor).jail(node.address))
        .to.emit(f.nodes, "NodeJailed")
        .withArgs(node.address, f.governor.address);
      await expect(f.nodes.connect(node).register("http://127.0.0.1:7001", [1]))
        .to.be.revertedWithCustomError(f.nodes, "NodeRegistryInvalidStatus")
        .withArgs(node.address, NodeStatus.Jailed);
      await expect(f.nodes.connect(f.governor).jail(node.address))
        .to.be.revertedWithCustomError(f.nodes, "NodeRegistryInvalidStatus")
        .withArgs(node.address, NodeStatus.Jailed);
      await expect(f.nodes.connect(f.governor).jail(f.stranger.address))
        .to.be.revertedWithCustomError(f.nodes, "NodeRegistryInvalidStatus")
        .withArgs(f.stranger.address, NodeStatus.None);
    });
  });

  describe("L5: descriptors cannot claim states larger than a valid program has", function () {
    it("G12, L5: selectStep refuses a descriptor whose post-state exceeds MAX_STATE_BYTES", async function () {
      const f = await loadFixture(deployDisputeFixture);
      // A publisher-supplied one-layer version whose descriptor claims |S1| = 2^24 + 1 (word 14: outLength).
      const max = await f.disputes.MAX_STATE_BYTES();
      const words = Array.from({ length: 19 }, (_, i) => (i === 14 ? max + 1n : 0n));
      const descriptor = ethers.AbiCoder.defaultAbiCoder().encode(Array(19).fill("uint256"), words);
      const { disputeId, selectStep } = await oneLayerDisputeAtStep(f, "oversized", descriptor);
      await expect(selectStep())
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameStateTooLarge")
        .withArgs(disputeId, max + 1n, max);
    });
  });

  describe("F4: the bond grows with the capital frozen and with every lost game", function () {
    /** A commitment whose collateral is `fee` x multiplier, from an operator with enough stake. */
    async function bigCommitment(f: DisputeFixture, fee: bigint) {
      const node = f.operators[2];
      await f.staking.connect(node).stake(200_000n * ONE);
      await f.nodes.connect(node).register("http://127.0.0.1:7002", [1]);
      const { s0 } = digitInput("mlp", 5);
      const view = viewFor("mlp", s0);
      const L = view.states.length - 1;
      const tx = await f.inference
        .connect(f.requester)
        .request(VERSION_OF.mlp, bytesOf(s0), fee, node.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0);
      const requestId = (await f.inference.requestCount()) as bigint;
      await tx.wait();
      await f.inference.connect(node).commit(requestId, bytesOf(view.states[L]), view.trace.traceRoot);
      return { node, view, requestId, outputHash: outputHashOf(view.states[L]), traceRoot: view.trace.traceRoot };
    }

    it("G11, F4: a griefer's third timed-out game costs 1 + 2 + 4 bonds, each scaled to the 100,000 VRT it freezes", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const fee = 10_000n * ONE;
      const { node, requestId, outputHash, traceRoot, view } = await bigCommitment(f, fee);
      const collateral = fee * (await f.inference.collateralMultiplier());
      expect(collateral).to.equal(100_000n * ONE);
      const base = (collateral * (await f.disputes.bondPpm())) / 1_000_000n;
      expect(base).to.be.greaterThan(BOND);

      const griefer = f.challenger;
      const paid: bigint[] = [];
      for (let game = 0; game < 3; game++) {
        expect(await f.disputes.bondFor(requestId)).to.equal(base << BigInt(game));
        const before = await f.token.balanceOf(griefer.address);
        const disputeId = (await f.disputes.disputeCount()) + 1n;
        await expect(f.disputes.connect(griefer).openDispute(requestId, outputHash, traceRoot))
          .to.emit(f.disputes, "DisputeOpened")
          .withArgs(disputeId, requestId, griefer.address, node.address, base << BigInt(game));
        paid.push(before - (await f.token.balanceOf(griefer.address)));
        if (game === 0) {
          const L = view.states.length - 1;
          await f.disputes
            .connect(node)
            .revealStateRoots(disputeId, [...view.trace.stateRoots], bytesOf(view.states[0]), bytesOf(view.states[L]));
        }
        // The griefer lets its clock run out.
        await time.increaseTo((await f.disputes.deadline(disputeId)) + 1n);
        await f.disputes.connect(f.stranger).resolveTimeout(disputeId);
        expect(await f.disputes.challengerLosses(requestId)).to.equal(BigInt(game + 1));
      }
      expect(paid).to.deep.equal([base, 2n * base, 4n * base]);
      // Half of every forfeited bond compensates the node whose capital was frozen.
      expect(await f.disputes.credits(node.address)).to.equal((7n * base) / 2n);
    });

    it("G11, F4: a small commitment still needs the flat minimum bond", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, { model: "mlp", digit: 6, challengerLie: { step: 2, byte: 1 } });
      expect((await f.disputes.getDispute(game.disputeId)).bond).to.equal(BOND);
      expect(await f.disputes.bondFor(game.requestId)).to.equal(BOND);
      expect((await runGame(f, game)).outcome).to.equal(Outcome.ChallengerWrong);
      expect(await f.disputes.bondFor(game.requestId)).to.equal(2n * BOND);
      expect(await f.disputes.credits(game.node.address)).to.equal(NODE_SHARE);
    });

    it("G11, F4: an honest challenger's win does not raise the bond for others", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, { model: "mlp", digit: 7, nodeLie: { step: 1, byte: 2 } });
      expect((await runGame(f, game)).outcome).to.equal(Outcome.NodeWrong);
      expect(await f.disputes.challengerLosses(game.requestId)).to.equal(0n);
    });

    it("F4: a request without a commitment is quoted the flat bond", async function () {
      const f = await loadFixture(deployDisputeFixture);
      expect(await f.disputes.bondFor(999n)).to.equal(BOND);
      expect(await f.disputes.challengerLosses(999n)).to.equal(0n);
    });
  });
});
