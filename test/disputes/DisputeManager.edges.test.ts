import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { Phase } from "../../game/enums";
import { emptySubtree, honestView } from "../../game/view";
import { MerkleTree, chunkCount, chunkLeaves, hashPair, toHex, treeDepth } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import {
  CLOCK_EXTENSION,
  deployDisputeFixture,
  digitInput,
  MOVE_CLOCK,
  outputHashOf,
  requestFrom,
} from "../helpers/dispute-fixtures";
import { forgedPaddingAtProof, openGame, Outcome, runGame } from "../helpers/dispute-game";
import { Resolution, StateRootsFault } from "../../protocol/constants";

/** Root of the subtree at `height` and `index` over explicit leaf hashes, padded with bytes32(0). */
function subtree(leaves: string[], height: number, index: number): string {
  const first = index * 2 ** height;
  if (first >= leaves.length) return emptySubtree(height);
  if (height === 0) return leaves[first];
  return hashPair(subtree(leaves, height - 1, 2 * index), subtree(leaves, height - 1, 2 * index + 1));
}

/** The chunk leaves of the CNN's S1 (196 chunks: a tree of 256 leaves, 60 of them padding). */
function cnnFirstState(digit: number) {
  const m = demoModel("cnn");
  const { s0 } = digitInput("cnn", digit);
  const view = honestView(m.program, s0, m.weights);
  const packed = chunkLeaves(bytesOf(view.states[1]));
  const leaves = Array.from({ length: packed.length / 32 }, (_, i) => toHex(packed.subarray(32 * i, 32 * i + 32)));
  return { m, s0, view, leaves };
}

describe("DisputeManager (edges of the game)", function () {
  this.timeout(120_000);

  it("decides a disputed all-padding subtree against the challenger without asking for more", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const { leaves } = cnnFirstState(40);
    expect(leaves.length).to.equal(196);
    const depth = treeDepth(chunkCount(196 * 32));
    // A lying challenger that disagrees with S1 and walks towards chunk 196 (the first padding leaf) until the
    // subtree it chose holds nothing but padding: height 2, index 49 (chunks 196..199).
    const game = await openGame(f, { model: "cnn", digit: 40, challengerLie: { step: 1, byte: 6271 } });
    await runGame(f, game, { until: Phase.AwaitingChildren });
    const ch = f.disputes.connect(f.challenger);
    const target = 49;
    for (let height = depth - 1; height >= 2; height--) {
      await game.players.node.play(game.disputeId); // honest children
      const goRight = ((target >> (height - 2)) & 1) === 1;
      if (height > 2) {
        await ch.chooseChild(game.disputeId, goRight);
      } else {
        await expect(ch.chooseChild(game.disputeId, goRight))
          .to.emit(f.disputes, "DisputeResolved")
          .withArgs(game.disputeId, game.requestId, Outcome.ChallengerWrong, Resolution.PaddingDisputed);
      }
    }
    expect(subtree(leaves, 2, target)).to.equal(emptySubtree(2));
  });

  it("decides a forged padding subtree against the node", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const node = f.operators[0];
    const { m, s0, view, leaves } = cnnFirstState(41);
    // The node's S1 tree carries a non-zero "leaf" in its padding: a root no honest execution has.
    const forged = [...leaves, toHex(new Uint8Array(32).fill(7))];
    const depth = treeDepth(196);
    const forgedRoot = subtree(forged, depth, 0);
    const roots = [...view.trace.stateRoots];
    roots[1] = forgedRoot;
    const traceRoot = MerkleTree.fromLeaves(roots).root;
    const L = roots.length - 1;
    const output = view.states[L];

    const requestId = await requestFrom(f, "cnn", s0, node.address);
    await f.inference.connect(node).commit(requestId, bytesOf(output), traceRoot);
    await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(output), traceRoot);
    const id = await f.disputes.disputeCount();
    await f.disputes.connect(node).revealStateRoots(id, roots, bytesOf(s0), bytesOf(output));
    const tree = MerkleTree.fromLeaves(roots);
    const lp = m.weights.layerProof(0);
    await f.disputes.connect(f.challenger).selectStep(id, 0, roots[0], tree.proof(0), roots[1], tree.proof(1), {
      descriptor: lp.descriptor,
      rowsRoot: lp.rowsRoot,
      layerProof: lp.layerProof,
    });
    // Walk to leaf 196 (index 196 at height 0): the honest challenger would pick the differing child, which is
    // exactly this path; at height 2 the chosen subtree (chunks 196..199) is all padding and is decided at once.
    let outcome = Outcome.None;
    for (let height = depth - 1; height >= 0 && outcome === Outcome.None; height--) {
      const d = await f.disputes.getDispute(id);
      const index = 2 * Number(d.cursorIndex);
      await f.disputes
        .connect(node)
        .revealChildren(id, subtree(forged, height, index), subtree(forged, height, index + 1));
      const goRight = ((196 >> height) & 1) === 1;
      await f.disputes.connect(f.challenger).chooseChild(id, goRight);
      outcome = Number((await f.disputes.getDispute(id)).outcome);
    }
    expect(outcome).to.equal(Outcome.NodeWrong);
    expect((await f.disputes.getDispute(id)).level).to.equal(2);
  });

  it("catches a node whose chunk hides a non-zero byte in the padding past the state's end", async function () {
    const f = await loadFixture(deployDisputeFixture);
    // S_{L-1}: the 10 logits, one chunk with 22 bytes of padding, the node's chunk hiding a 1 at byte 20
    const { id, challenger } = await forgedPaddingAtProof(f, 44, 20, 1);
    expect(await challenger.play(id)).to.equal("proveStep(byte 20, padding)");
    const d = await f.disputes.getDispute(id);
    expect(d.outcome).to.equal(Outcome.NodeWrong);
  });

  it("refuses state roots whose last root is not the committed output's", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const node = f.operators[0];
    const m = demoModel("mlp");
    const { s0 } = digitInput("mlp", 42);
    const view = honestView(m.program, s0, m.weights);
    const L = view.states.length - 1;
    // Commit the honest output bytes, but a trace whose last state says something else.
    const roots = [...view.trace.stateRoots];
    roots[L] = roots[L - 1];
    const traceRoot = MerkleTree.fromLeaves(roots).root;
    const requestId = await requestFrom(f, "mlp", s0, node.address);
    await f.inference.connect(node).commit(requestId, bytesOf(view.states[L]), traceRoot);
    await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(view.states[L]), traceRoot);
    const id = await f.disputes.disputeCount();
    await expect(f.disputes.connect(node).revealStateRoots(id, roots, bytesOf(s0), bytesOf(view.states[L])))
      .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
      .withArgs(id, StateRootsFault.LastRoot);
  });

  it("extends the challenger's clock too when it is handed the move nearly out of time", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const game = await openGame(f, { model: "cnn", digit: 43, nodeLie: { step: 1, byte: 10 } });
    await game.players.node.play(game.disputeId); // reveal roots
    await time.increase(MOVE_CLOCK - 50n);
    await game.players.challenger.play(game.disputeId); // selectStep with ~50 s left
    expect((await f.disputes.getDispute(game.disputeId)).challengerClock).to.be.lessThan(CLOCK_EXTENSION);
    await game.players.node.play(game.disputeId); // revealChildren hands the move back
    expect((await f.disputes.getDispute(game.disputeId)).challengerClock).to.equal(CLOCK_EXTENSION);
    expect((await runGame(f, game)).outcome).to.equal(Outcome.NodeWrong);
  });
});
