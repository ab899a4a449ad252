import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { DisputeBoard } from "../../game/boards/dispute";
import { emptyWitness, Player } from "../../game/player";
import { honestView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import {
  BOND,
  CLOCK_EXTENSION,
  deployDisputeFixture,
  digitInput,
  gameFactory,
  MOVE_CLOCK,
  outputHashOf,
  requestFrom,
  REWARD_PPM,
} from "../helpers/dispute-fixtures";
import { forgedPaddingAtProof, oneLayerDisputeAtStep, Outcome } from "../helpers/dispute-game";
import { ProofPart } from "../../protocol/constants";

/** The DisputeManager paths the game tests do not reach: constructor checks, a short descriptor, a sparse proof of
 * a padding byte, and the cap on bond doublings. */
describe("DisputeManager (remaining paths)", function () {
  this.timeout(180_000);

  it("reverts construction with any zero address, and emits every parameter at deployment", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const contracts = {
      token: await f.token.getAddress(),
      inference: await f.inference.getAddress(),
      modelRegistry: await f.models.getAddress(),
      nodeRegistry: await f.nodes.getAddress(),
      staking: await f.staking.getAddress(),
      verifier: await f.verifier.getAddress(),
    };
    const factory = await gameFactory("DisputeManager");
    for (const key of Object.keys(contracts) as (keyof typeof contracts)[]) {
      await expect(
        factory.deploy(
          { ...contracts, [key]: ethers.ZeroAddress },
          f.governor.address,
          BOND,
          MOVE_CLOCK,
          CLOCK_EXTENSION,
          REWARD_PPM,
        ),
      ).to.be.revertedWithCustomError(factory, "DisputeManagerZeroAddress");
    }
    await expect(
      factory.deploy(contracts, ethers.ZeroAddress, BOND, MOVE_CLOCK, CLOCK_EXTENSION, REWARD_PPM),
    ).to.be.revertedWithCustomError(factory, "DisputeManagerZeroAddress");
    const dm = await factory.deploy(contracts, f.governor.address, BOND, MOVE_CLOCK, CLOCK_EXTENSION, REWARD_PPM);
    const tx = dm.deploymentTransaction()!;
    await expect(tx).to.emit(dm, "BondSet").withArgs(BOND);
    await expect(tx).to.emit(dm, "BondPpmSet").withArgs(100_000n);
    await expect(tx).to.emit(dm, "RewardPpmSet").withArgs(REWARD_PPM);
  });

  it("refuses a layer descriptor too short to hold outLength", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const descriptor = ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1n, 2n]);
    const { disputeId: id, selectStep } = await oneLayerDisputeAtStep(f, "short-descriptor", descriptor);
    await expect(selectStep())
      .to.be.revertedWithCustomError(f.disputes, "BisectionGameBadLayer")
      .withArgs(id, ProofPart.Descriptor);
  });

  it("decides a sparse proof of a byte in the padding past the state's end without the verifier", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const { id, view, step } = await forgedPaddingAtProof(f, 45, 21, 3);
    const { layer } = emptyWitness(view.weights.layerProof(step - 1));
    await expect(
      f.disputes
        .connect(f.challenger)
        .proveStepSparse(id, 21, layer, { chunkIndices: [], chunks: "0x", proof: [] }, []),
    )
      .to.emit(f.disputes, "StepProven")
      .withArgs(id, 21, 3, 0);
    expect((await f.disputes.getDispute(id)).outcome).to.equal(Outcome.NodeWrong);
  });

  it("stops doubling the bond after MAX_BOND_DOUBLINGS lost games", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const node = f.operators[0];
    await f.disputes.connect(f.governor).setBond(1n);
    await f.disputes.connect(f.governor).setBondPpm(0n);
    const { s0 } = digitInput("mlp", 46);
    const view = honestView(demoModel("mlp").program, s0, demoModel("mlp").weights);
    const L = view.states.length - 1;
    const requestId = await requestFrom(f, "mlp", s0, node.address);
    await f.inference.connect(node).commit(requestId, bytesOf(view.states[L]), view.trace.traceRoot);
    const max = await f.disputes.MAX_BOND_DOUBLINGS();
    for (let game = 0n; game <= max; game++) {
      const id = (await f.disputes.disputeCount()) + 1n;
      await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(view.states[L]), view.trace.traceRoot);
      if (game === 0n) await new Player("node", view, new DisputeBoard(f.disputes.connect(node))).play(id);
      await time.increaseTo((await f.disputes.deadline(id)) + 1n);
      await f.disputes.resolveTimeout(id);
    }
    expect(await f.disputes.challengerLosses(requestId)).to.equal(max + 1n);
    expect(await f.disputes.bondFor(requestId)).to.equal(1n << max);
  });
});
