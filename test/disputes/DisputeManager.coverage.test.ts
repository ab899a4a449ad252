import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { DisputePlayer, emptyWitness } from "../../executor/dispute/player";
import { honestView } from "../../executor/dispute/view";
import { chunkLeaf as chunkLeafHex, hashPair, MerkleTree, merkleRoot, toHex } from "../../executor/trace/merkle";
import { bytesOf, commitTrace } from "../../executor/trace/trace";
import { demoModel } from "../../scripts/lib/demo-models";
import { versionSpec } from "../helpers/fixtures";
import {
  BOND,
  CLOCK_EXTENSION,
  deployDisputeFixture,
  digitInput,
  FEE,
  gameFactory,
  MOVE_CLOCK,
  outputHashOf,
  requestFrom,
  REWARD_PPM,
} from "../helpers/dispute-fixtures";
import { Outcome } from "../helpers/dispute-game";

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
    const node = f.operators[0];
    const descriptor = ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1n, 2n]);
    const rowsRoot = ethers.ZeroHash;
    const weightsRoot = merkleRoot([hashPair(keccak256(descriptor), rowsRoot)]);
    await f.models
      .connect(f.publisher)
      .publishModel(
        "short-descriptor",
        versionSpec({ weightsRoot, layerCount: 1, inputShape: [1, 4], outputShape: [1, 4], modes: 2, fee: FEE }),
      );
    const versionId = await f.models.versionCount();
    await f.nodes.connect(node).serveVersions([versionId]);
    const states = [new Int8Array([1, 2, 3, 4]), new Int8Array([5, 6, 7, 8])];
    const trace = commitTrace(states);
    await f.inference
      .connect(f.requester)
      .request(versionId, bytesOf(states[0]), FEE, node.address, 2, ethers.ZeroAddress, 0);
    const requestId = await f.inference.requestCount();
    await f.inference.connect(node).commit(requestId, bytesOf(states[1]), trace.traceRoot);
    const id = (await f.disputes.disputeCount()) + 1n;
    await f.disputes.connect(f.challenger).openDispute(requestId, keccak256(bytesOf(states[1])), trace.traceRoot);
    await f.disputes.connect(node).revealStateRoots(id, [...trace.stateRoots], bytesOf(states[0]), bytesOf(states[1]));
    const pre = [trace.stateRoots[0], trace.stateRootProof(0)] as const;
    const post = [trace.stateRoots[1], trace.stateRootProof(1)] as const;
    await expect(
      f.disputes.connect(f.challenger).selectStep(id, 0, ...pre, ...post, { descriptor, rowsRoot, layerProof: [] }),
    )
      .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
      .withArgs(id, "descriptor");
  });

  it("decides a sparse proof of a byte in the padding past the state's end without the verifier", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const node = f.operators[0];
    const m = demoModel("mlp");
    const { s0 } = digitInput("mlp", 45);
    const view = honestView(m.program, s0, m.weights);
    const L = view.states.length - 1;
    const step = L - 1; // the 10 logits: one chunk, 22 bytes of padding
    const forgedChunk = new Uint8Array(32);
    forgedChunk.set(bytesOf(view.states[step]));
    forgedChunk[21] = 3;
    const roots = [...view.trace.stateRoots];
    roots[step] = chunkLeafHex(forgedChunk);
    const traceRoot = MerkleTree.fromLeaves(roots).root;
    const requestId = await requestFrom(f, "mlp", s0, node.address);
    await f.inference.connect(node).commit(requestId, bytesOf(view.states[L]), traceRoot);
    await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(view.states[L]), traceRoot);
    const id = await f.disputes.disputeCount();
    await f.disputes.connect(node).revealStateRoots(id, roots, bytesOf(s0), bytesOf(view.states[L]));
    const challenger = new DisputePlayer("challenger", view, f.disputes.connect(f.challenger));
    expect(await challenger.play(id)).to.equal(`selectStep(${step - 1})`);
    await f.disputes.connect(node).openChunk(id, toHex(forgedChunk));
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
      if (game === 0n) await new DisputePlayer("node", view, f.disputes.connect(node)).play(id);
      await time.increaseTo((await f.disputes.deadline(id)) + 1n);
      await f.disputes.resolveTimeout(id);
    }
    expect(await f.disputes.challengerLosses(requestId)).to.equal(max + 1n);
    expect(await f.disputes.bondFor(requestId)).to.equal(1n << max);
  });
});
