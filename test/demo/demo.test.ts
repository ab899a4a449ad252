import { expect } from "chai";
import hre from "hardhat";

import { languageModel } from "../../models/lm";
import { runDemo, type DemoOutcome } from "../../scripts/demo";

/**
 * `npm run demo` (scripts/demo.ts) on the in-process network: the story ends as it tells it. Nodes A and B are paid
 * their fees, node C is slashed by its collateral and jailed, the challenger earns half the slash and the rest is
 * burned, the requester pays for the honest results only, and no token is created or lost among them. The demo's
 * narration is silenced; the chain is restored afterwards (the demo travels in time).
 */
describe("npm run demo (scripts/demo.ts)", () => {
  let outcome: DemoOutcome;
  let snapshot: string;

  before(async () => {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    const log = console.log;
    console.log = () => undefined;
    try {
      outcome = await runDemo(hre);
    } finally {
      console.log = log;
    }
  });

  after(async () => {
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  const ONE = 10n ** 18n;
  const account = (prefix: string) => {
    const found = outcome.accounts.find((a) => a.name.startsWith(prefix));
    if (!found) throw new Error(`no account ${prefix} in the demo's table`);
    return found;
  };

  it("C4: pays the honest nodes A and B the fees of their two finalized requests each, stake untouched", () => {
    for (const name of ["node A", "node B"]) {
      expect(account(name)).to.include({ wallet: 2n * ONE, stake: 0n, status: "Active" });
    }
  });

  it("C4: slashes node C by its request's collateral (fee x 10) and jails it", () => {
    expect(account("node C")).to.include({ wallet: 0n, stake: -10n * ONE, status: "Jailed" });
    expect(outcome.disputes).to.have.length(1);
    expect(outcome.disputes[0].outcome).to.equal("NodeWrong");
  });

  it("C4: gives the challenger half the slash and burns the rest; the requester pays only for honest results", () => {
    expect(account("challenger").wallet).to.equal(5n * ONE);
    expect(account("burned").wallet).to.equal(5n * ONE);
    expect(account("requester").wallet).to.equal(-4n * ONE);
  });

  it("C4: conserves tokens among the accounts of the closing table (wallets plus stakes)", () => {
    expect(outcome.accounts.reduce((sum, a) => sum + a.wallet + a.stake, 0n)).to.equal(0n);
  });

  it("finalizes the honest predictions, which match the labels, and rejects node C's wrong one", () => {
    expect(outcome.jobs.map((j) => j.node)).to.have.members(["node A", "node A", "node B", "node B", "node C"]);
    for (const job of outcome.jobs) {
      expect(job.truth, `request ${job.requestId}`).to.equal(job.label);
      if (job.node === "node C") {
        expect(job.committed).to.not.equal(job.truth);
        expect(job.status).to.equal("Rejected");
      } else {
        expect(job.committed).to.equal(job.truth);
        expect(job.status).to.equal("Finalized");
      }
    }
  });

  describe("part two: the other verification modes, once each", () => {
    it("settles a TEE request signed by node A's attested (software) enclave key, final at once", () => {
      expect(outcome.modes.tee.status).to.equal("Finalized");
    });

    it("settles a ZK request with a Groth16 proof checked on-chain, final at once", () => {
      expect(outcome.modes.zk.status).to.equal("Finalized");
      expect(outcome.modes.zk.constraints).to.be.greaterThan(0);
    });

    it("finalizes a redundant request at once when both nodes agree", () => {
      expect(outcome.modes.redundant.agreed.final).to.equal(true);
    });

    it("referees a disagreement: the lying node D (slot B) loses, is slashed its collateral, node A earns both fees and the reward", () => {
      const { disputed } = outcome.modes.redundant;
      expect(disputed.outcome).to.equal("BWrong");
      expect(disputed.liarSlashed).to.equal(10n * ONE);
      expect(disputed.winnerCredited).to.equal(2n * ONE + 5n * ONE);
    });
  });

  describe("part three: verifiable text generation with the byte-level LM", () => {
    it("finalizes node A's honest answer to the prompt", () => {
      const { honest } = outcome.generation;
      expect(honest.status).to.equal("Finalized");
      expect(honest.text).to.have.length(24);
    });

    it("catches node E's byte changed in the middle of its answer: the game narrows to (pass 12, the logits' layer, chunk, byte)", () => {
      const { honest, disputed } = outcome.generation;
      expect(disputed.text.slice(0, 12)).to.equal(honest.text.slice(0, 12));
      expect(disputed.text[12]).to.not.equal(honest.text[12]);
      // The liar forged the pass's logits: the last layer, whose output they are, is the disputed step.
      const layer = languageModel().program.layers.length - 1;
      expect(disputed).to.include({ pass: 12, layer, outcome: "NodeWrong", reason: "StepRecomputedDifferently" });
      expect(disputed.chunk * 32 + disputed.byte).to.equal(disputed.text.charCodeAt(12));
    });

    it("slashes node E its collateral (fee x 10) and jails it", () => {
      expect(outcome.generation.disputed).to.include({ slashed: 10n * ONE, status: "Jailed" });
    });
  });
});
