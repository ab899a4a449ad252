import { expect } from "chai";
import hre, { ethers } from "hardhat";

import { run } from "../../executor/runtime";
import { InferenceRequestStatus } from "../../protocol/constants";
import { zkMlpProgram } from "../../modes/zk/model";
import { deployProtocol } from "../../scripts/lib/protocol";
import { zkDemo, ZK_DEMO_SIZES } from "../../scripts/lib/zk-demo";

// The demo's ZK step on the protocol as Ignition deploys it (Protocol.ts with Zk.ts): publish, local setup,
// verifier registration, request, proof, settlement final at once.
describe("Z10: ZK demo step (scripts/lib/zk-demo.ts) on the Ignition deployment", function () {
  this.timeout(180_000);

  it("settles one ZK request with a real proof, final at once, and pays the node", async function () {
    const [deployer, publisher, operator, requester] = await ethers.getSigners();
    const p = await deployProtocol(hre);
    const minimum = await p.staking.minimumStake();
    const fee = 10n ** 18n;
    await p.token.connect(deployer).transfer(operator.address, minimum);
    await p.token.connect(deployer).transfer(requester.address, fee);
    await p.token.connect(operator).approve(await p.staking.getAddress(), minimum);
    await p.staking.connect(operator).stake(minimum);
    await p.token.connect(requester).approve(await p.inferenceManager.getAddress(), fee);
    const lines: string[] = [];
    // the node registers with no version yet; the demo step makes it serve the new one
    await p.nodeRegistry.connect(operator).register("http://127.0.0.1:7999", []);

    const r = await zkDemo({
      inferenceManager: p.inferenceManager,
      modelRegistry: p.modelRegistry,
      nodeRegistry: p.nodeRegistry,
      zkSettler: p.zkSettler,
      publisher,
      node: operator,
      requester,
      fee,
      log: (line) => lines.push(line),
    });
    expect(await p.inferenceManager.statusOf(r.requestId)).to.equal(InferenceRequestStatus.Finalized);
    expect(await p.inferenceManager.credits(operator.address)).to.equal(fee);
    const x = Int8Array.from({ length: ZK_DEMO_SIZES[0] }, (_, i) => ((i * 71 + 13) % 256) - 128);
    expect(Array.from(r.output)).to.deep.equal(Array.from(run(zkMlpProgram(ZK_DEMO_SIZES), x)));
    expect(r.constraints).to.equal(474);
    expect(lines.some((l) => l.includes("final at once"))).to.equal(true);
  });
});
