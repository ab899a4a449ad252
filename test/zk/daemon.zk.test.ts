import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { cidText, defaultResolver } from "../../protocol/resolver";
import { MODE } from "../../modes/verified";
import { run } from "../../executor/runtime";
import { encodeProgram } from "../../executor/runtime/program";
import { bytesOf } from "../../executor/trace/trace";
import { WeightsCommitment } from "../../executor/trace/weights";
import { deployAndRegisterVerifier, storeZkArtifacts, ZkVerifiedSettler } from "../../modes/zk/node";
import { zkShutdown, ZkToolError } from "../../modes/zk/setup";
import type { ZkSettler } from "../../typechain-types";
import { deployDisputeFixture, FEE } from "../helpers/dispute-fixtures";
import { versionSpec } from "../helpers/fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { ZK_SIZES, zkCircuit } from "../helpers/zk-fixtures";
import { testNodeDaemon } from "../helpers/node-daemon";

// `verity node serve --mode zk`: the node daemon hands a ZK request to ZkVerifiedSettler, which proves the result
// with the version's proving key and settles it through ZkSettler, final at once, in one tick.

const ZK_VERSION = 3n; // after the dispute fixture's two demo models

async function zkDaemonFixture() {
  const zk = await zkCircuit();
  const f = await deployDisputeFixture();
  const p = zk.program;
  await f.models.connect(f.publisher).publishModel(
    "zk-mlp",
    versionSpec({
      programDigest: ethers.keccak256(encodeProgram(p)),
      weightsRoot: zk.meta.weightsRoot,
      layerCount: p.layers.length,
      inputShape: p.inputShape,
      outputShape: p.outputShape,
      modes: MODE.ZK,
      fee: FEE,
    }),
  );
  const settler = (await ethers.deployContract("ZkSettler", [
    await f.inference.getAddress(),
    await f.models.getAddress(),
    f.governor.address,
  ])) as unknown as ZkSettler;
  await f.inference.connect(f.governor).setModeSettler(MODE.ZK, await settler.getAddress());
  // as `verity model zk-register` does: compile the exported verifier, deploy it, register it as the model owner
  const registered = await deployAndRegisterVerifier(settler.connect(f.publisher), ZK_VERSION, zk.files);
  expect(await settler.verifierOf(ZK_VERSION)).to.equal(registered.verifier);
  await f.nodes.connect(f.operators[0]).serveVersions([ZK_VERSION]);
  return { ...f, zk, settler };
}

describe("NodeDaemon: ZK mode (ZkVerifiedSettler)", function () {
  this.timeout(300_000);
  let dir: string;

  before(async function () {
    await zkCircuit();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-node-zk-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(async function () {
    await zkShutdown();
  });

  it("Z7: proves and settles an assigned ZK request in one tick: final at once, the honest output, fee credited", async function () {
    const f = await loadFixture(zkDaemonFixture);
    const node = f.operators[0];
    const x = Int8Array.from({ length: ZK_SIZES[0] }, (_, i) => i * 29 - 100);
    await f.inference
      .connect(f.requester)
      .request(ZK_VERSION, bytesOf(x), FEE, node.address, MODE.ZK, ethers.ZeroAddress, 0);
    const id = await f.inference.requestCount();
    const fallback = defaultResolver({ getVersion: (v) => f.models.getVersion(v) });
    const zkSettler = new ZkVerifiedSettler(f.settler.connect(node), async () => f.zk.files);
    const { d } = await testNodeDaemon(f, node, path.join(dir, "journal.jsonl"), {
      resolver: async (v) =>
        v === ZK_VERSION ? { program: f.zk.program, weights: new WeightsCommitment(f.zk.program) } : fallback(v),
      verifiedSettlers: new Map([[MODE.ZK, zkSettler]]),
    });
    await d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    const [settled] = await f.settler.queryFilter(f.settler.filters.ZkResultSettled(id));
    expect(settled.args.versionId).to.equal(ZK_VERSION);
    const [committed] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
    expect(committed.args.output).to.equal(ethers.hexlify(bytesOf(run(f.zk.program, x))));
    expect(await f.inference.credits(node.address)).to.equal(FEE);
    expect(zkSettler.proveSeconds).to.have.length(1);
    d.close();
  });

  it("Z9: finds a version's ZK setup in the store (<cid>/programs/<digest>/zk) and refuses a missing or foreign one", async function () {
    const f = await loadFixture(zkDaemonFixture);
    const resolve = storeZkArtifacts({ getVersion: (v) => f.models.getVersion(v) }, dir);
    await expect(resolve(ZK_VERSION)).to.be.rejectedWith(ZkToolError, /has no ZK setup/);
    const v = await f.models.getVersion(ZK_VERSION);
    const target = path.join(
      dir,
      cidText(ethers.getBytes(v.artifactCid)),
      "programs",
      v.programDigest.toLowerCase(),
      "zk",
    );
    fs.cpSync(f.zk.files.dir, target, { recursive: true });
    expect((await resolve(ZK_VERSION)).zkey).to.equal(path.join(target, "circuit.zkey"));
    // a setup copied under another version's folder pins the wrong root
    const mlp = await f.models.getVersion(1n);
    const foreign = path.join(
      dir,
      cidText(ethers.getBytes(mlp.artifactCid)),
      "programs",
      mlp.programDigest.toLowerCase(),
      "zk",
    );
    fs.cpSync(f.zk.files.dir, foreign, { recursive: true });
    await expect(resolve(1n)).to.be.rejectedWith(ZkToolError, /pins weights root/);
  });
});
