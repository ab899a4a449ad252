import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { bytesOf } from "../../executor/trace/trace";
import { deployDisputeFixture, digitInput, FEE, requestFrom, type DisputeFixture } from "../helpers/dispute-fixtures";
import { openGame, Outcome, runGame } from "../helpers/dispute-game";

/**
 * Invariants 1 and 2 of test/PROPERTIES.md (solvency, single settlement) across every settlement path: finalize, dispute won by the challenger, dispute
 * won by the node, a timeout, and a refund. After every step, each contract holds exactly what it owes; at the end,
 * once everybody has claimed, no token was created or lost, and no request settled twice.
 */
describe("Solvency and single settlement across every path", function () {
  this.timeout(120_000);

  async function accounts(f: DisputeFixture) {
    const burn = await f.staking.BURN_ADDRESS();
    return [f.requester, f.challenger, f.treasury, f.stranger, ...f.operators.slice(0, 2)]
      .map((s) => s.address)
      .concat(burn);
  }

  /** Each contract's balance equals what it owes: escrow and credits, bonds and credits, stakes. */
  async function assertSolvent(f: DisputeFixture, openRequests: bigint[], openDisputes: bigint[]) {
    const who = await accounts(f);
    let escrow = 0n;
    for (const id of openRequests) escrow += (await f.inference.getRequest(id)).fee;
    let inferenceCredits = 0n;
    let disputeCredits = 0n;
    let stakes = 0n;
    for (const a of who) {
      inferenceCredits += await f.inference.credits(a);
      disputeCredits += await f.disputes.credits(a);
      stakes += await f.staking.totalStake(a);
    }
    let bonds = 0n;
    for (const id of openDisputes) bonds += (await f.disputes.getDispute(id)).bond;
    expect(await f.token.balanceOf(await f.inference.getAddress())).to.equal(escrow + inferenceCredits, "inference");
    expect(await f.token.balanceOf(await f.disputes.getAddress())).to.equal(bonds + disputeCredits, "disputes");
    expect(await f.token.balanceOf(await f.staking.getAddress())).to.equal(stakes, "staking");
  }

  async function supply(f: DisputeFixture) {
    let total = 0n;
    for (const a of await accounts(f)) total += await f.token.balanceOf(a);
    for (const c of [f.inference, f.disputes, f.staking]) total += await f.token.balanceOf(await c.getAddress());
    return total;
  }

  it("G3, G4: finalize, challenger wins, node wins, timeout and refund each settle once and keep every token", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const before = await supply(f);
    const node = f.operators[0];

    // 1. An honest result, disputed by a lying challenger: the node wins, then the result finalizes.
    const honest = await openGame(f, { model: "mlp", digit: 20, challengerLie: { step: 1, byte: 3 } });
    await assertSolvent(f, [honest.requestId], [honest.disputeId]);
    expect((await runGame(f, honest)).outcome).to.equal(Outcome.ChallengerWrong);
    await assertSolvent(f, [honest.requestId], []);

    // 2. A challenger who walks away after opening: it loses on time, and the result stands.
    const walk = await openGame(f, { model: "mlp", digit: 23, challengerLie: { step: 2, byte: 0 } });
    expect((await runGame(f, walk, { stops: { side: "challenger", after: 0 } })).outcome).to.equal(
      Outcome.ChallengerWrong,
    );
    await assertSolvent(f, [honest.requestId, walk.requestId], []);

    // 3. A lie caught by an honest challenger.
    const lie = await openGame(f, { model: "cnn", digit: 21, nodeLie: { step: 3, byte: 17 } });
    expect((await runGame(f, lie)).outcome).to.equal(Outcome.NodeWrong);
    await assertSolvent(f, [honest.requestId, walk.requestId], []);

    // 4. A request that no node serves (node 0 is jailed now; operator 1 never answers): refunded after its deadline.
    const unserved = await requestFrom(f, "mlp", digitInput("mlp", 22).s0, f.operators[1].address);
    await assertSolvent(f, [honest.requestId, walk.requestId, unserved], []);
    await time.increase(2 * 3600);
    await expect(f.inference.refund(unserved)).to.changeTokenBalances(f.token, [f.inference], [0n]);
    expect(await f.inference.credits(f.requester.address)).to.equal(2n * FEE); // the lie's refund and this one
    await assertSolvent(f, [honest.requestId, walk.requestId], []);

    // 5. The honest results finalize once; a second finalize or a refund of them reverts.
    const L = honest.nodeView.states.length - 1;
    const out = bytesOf(honest.nodeView.states[L]);
    await f.inference.finalize(honest.requestId, out, honest.nodeView.trace.traceRoot);
    await f.inference.finalize(walk.requestId, bytesOf(walk.nodeView.states[L]), walk.nodeView.trace.traceRoot);
    expect(await f.inference.credits(node.address)).to.equal(2n * FEE);
    await assertSolvent(f, [], []);
    await expect(
      f.inference.finalize(honest.requestId, out, honest.nodeView.trace.traceRoot),
    ).to.be.revertedWithCustomError(f.inference, "InferenceManagerInvalidStatus");
    await expect(f.inference.refund(honest.requestId)).to.be.revertedWithCustomError(
      f.inference,
      "InferenceManagerInvalidStatus",
    );
    await expect(f.inference.refund(unserved)).to.be.revertedWithCustomError(
      f.inference,
      "InferenceManagerInvalidStatus",
    );
    // A resolved dispute cannot be resolved again, by any path.
    for (const id of [honest.disputeId, walk.disputeId, lie.disputeId]) {
      await expect(f.disputes.resolveTimeout(id))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameAlreadyResolved")
        .withArgs(id);
    }

    // 6. Everybody claims; the contracts keep exactly the stakes, and no token was created or lost.
    for (const signer of [f.requester, f.challenger, node]) {
      if ((await f.inference.credits(signer.address)) > 0n) await f.inference.connect(signer).claimCredits();
      if ((await f.disputes.credits(signer.address)) > 0n) await f.disputes.connect(signer).claimCredits();
    }
    expect(await f.token.balanceOf(await f.inference.getAddress())).to.equal(0n);
    expect(await f.token.balanceOf(await f.disputes.getAddress())).to.equal(0n);
    await assertSolvent(f, [], []);
    expect(await supply(f)).to.equal(before);
    expect(await ethers.provider.getBlockNumber()).to.be.greaterThan(0);
  });
});
