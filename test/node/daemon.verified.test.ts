import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { honestView } from "../../game/view";
import { InjectedCrash } from "../../daemons/node/daemon";
import { MODE, type VerifiedSettler } from "../../modes/verified";
import { demoModel } from "../../models/demo-models";
import type { PassThroughSettler } from "../../typechain-types";
import {
  deployDisputeFixture,
  digitInput,
  FEE,
  outputHashOf,
  requestFrom,
  type DisputeFixture,
} from "../helpers/dispute-fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { testNodeDaemon, type TestDaemonOptions } from "../helpers/node-daemon";

// The node daemon's verified-mode path (TEE, ZK): results go to the mode's settler instead of `commit`, and are
// final at once. PassThroughSettler (a test mock that verifies nothing) stands in for the TEE settler here; the real
// settlers test their evidence in test/tee and test/zk.
describe("N5: NodeDaemon: verified modes", function () {
  this.timeout(60_000);
  let dir: string;
  let f: DisputeFixture;
  let passThrough: PassThroughSettler;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-node-verified-"));
    f = await loadFixture(deployDisputeFixture);
    passThrough = await ethers.deployContract("PassThroughSettler", [await f.inference.getAddress()]);
    await f.inference.connect(f.governor).setModeSettler(MODE.TEE, await passThrough.getAddress());
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const node = () => f.operators[0];
  const sent: bigint[] = [];
  const teeSettler = (): VerifiedSettler => ({
    mode: MODE.TEE,
    name: "tee",
    settle: (r, overrides) => {
      sent.push(r.requestId);
      return passThrough.connect(node()).settle(r.requestId, r.output, r.traceRoot, overrides);
    },
  });
  async function daemon(extra: TestDaemonOptions = {}) {
    return testNodeDaemon(f, node(), path.join(dir, "journal.jsonl"), extra);
  }
  const honestOutputHash = (digit: number) => {
    const m = demoModel("mlp");
    const view = honestView(m.program, digitInput("mlp", digit).s0, m.weights);
    return outputHashOf(view.states[view.program.layers.length]);
  };
  const teeRequest = (digit: number, to = node().address) =>
    requestFrom(f, "mlp", digitInput("mlp", digit).s0, to, MODE.TEE);

  it("settles a TEE request through the mode's settler in one tick, final at once, with the honest output", async () => {
    sent.length = 0;
    const id = await teeRequest(0);
    const { d } = await daemon({ verifiedSettlers: new Map([[MODE.TEE, teeSettler()]]) });
    await d.tick();
    expect(sent).to.deep.equal([id]);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    const [ev] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
    expect(ev.args.outputHash).to.equal(honestOutputHash(0));
    expect(await f.inference.credits(node().address)).to.equal(FEE);
    expect(d.metrics.finalized).to.equal(1);
    await d.tick(); // nothing left to do: no finalize, no second settlement
    expect(sent).to.have.length(1);
    d.close();
  });

  it("claims an open TEE request only when it has a settler for the mode", async () => {
    const id = await teeRequest(1, ethers.ZeroAddress);
    const without = await daemon();
    await without.d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Open);
    without.d.close();
    fs.rmSync(path.join(dir, "journal.jsonl"));
    const { d } = await daemon({ verifiedSettlers: new Map([[MODE.TEE, teeSettler()]]) });
    await d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    d.close();
  });

  it("leaves an assigned TEE request unserved, with a warning, when it has no settler for the mode", async () => {
    const id = await teeRequest(2);
    const { d, log } = await daemon();
    await d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
    expect(log.lines.some((l) => String(l.msg).includes("mode this node does not serve"))).to.equal(true);
    d.close();
  });

  it("keeps verified results out of batches: a burst is batched, its TEE requests settled one by one", async () => {
    const optimistic: bigint[] = [];
    const tee: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      if (i % 3 === 0) tee.push(await teeRequest(i));
      else optimistic.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    }
    const { d } = await daemon({ batchThreshold: 2, verifiedSettlers: new Map([[MODE.TEE, teeSettler()]]) });
    await d.tick();
    const batches = await f.inference.queryFilter(f.inference.filters.BatchCommitted());
    expect(batches).to.have.length(1);
    expect(batches[0].args.count).to.equal(BigInt(optimistic.length));
    for (const id of optimistic) expect(await f.inference.statusOf(id)).to.equal(STATUS.Batched);
    for (const id of tee) expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    d.close();
  });

  for (const when of ["after the journal write", "after the settlement was mined"] as const) {
    it(`settles exactly once across a crash ${when}`, async () => {
      const id = await teeRequest(3);
      const crash = () => {
        throw new InjectedCrash(`kill -9 ${when}`);
      };
      const hooks =
        when === "after the journal write"
          ? { afterJournal: (r: { t: string }) => r.t === "commit" && crash() }
          : { afterSend: (what: string) => what.startsWith("tee.settle") && crash() };
      const settlers = new Map([[MODE.TEE, teeSettler()]]);
      const crashing = await daemon({ hooks, verifiedSettlers: settlers });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      const { d } = await daemon({ verifiedSettlers: settlers });
      await d.tick();
      await d.tick();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
      expect(await f.inference.queryFilter(f.inference.filters.ResultCommitted(id))).to.have.length(1);
      expect(await f.inference.queryFilter(f.inference.filters.RequestFinalized(id))).to.have.length(1);
      d.close();
    });
  }
});
