import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";

import { honestView } from "../../executor/dispute/view";
import { MODE } from "../../executor/node/verified";
import { attestationDomain, signAttestation } from "../../executor/tee/eip712";
import { createEnclaveKey, loadEnclaveKey, SOFTWARE_MEASUREMENT } from "../../executor/tee/enclave-key";
import { TeeVerifiedSettler } from "../../executor/tee/settler";
import { demoModel } from "../../scripts/lib/demo-models";
import { teeDemo } from "../../scripts/lib/tee-demo";
import { bytesOf } from "../../executor/trace/trace";
import { deployDisputeFixture, digitInput, FEE, outputHashOf, requestFrom } from "../helpers/dispute-fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { MINIMUM_STAKE } from "../helpers/fixtures";
import { testNodeDaemon } from "../helpers/node-daemon";

// End to end in process: the node daemon, holding a software enclave key in a file, serves a TEE request for the
// demo MLP through the real TeeSettler (attested key, EIP-712 signature), final at once with the honest output.

/** The dispute fixture (demo models, every mode) plus the TEE contracts wired as Protocol.ts wires them. */
async function teeWiredFixture() {
  const f = await deployDisputeFixture();
  const verifier = await ethers.deployContract("EcdsaAttestationVerifier", [f.governor.address]);
  const settler = await ethers.deployContract("TeeSettler", [
    await f.inference.getAddress(),
    await f.staking.getAddress(),
    await verifier.getAddress(),
    f.governor.address,
    MINIMUM_STAKE,
    500_000,
  ]);
  await f.inference.connect(f.governor).setModeSettler(MODE.TEE, await settler.getAddress());
  await f.staking.connect(f.governor).grantRole(await f.staking.SLASHER_ROLE(), await settler.getAddress());
  return { ...f, attestationVerifier: verifier, settler };
}

async function teeDaemonFixture() {
  const f = await teeWiredFixture();
  const { attestationVerifier: verifier, settler } = f;
  const service = new Wallet(ethers.id("local attestation service"));
  await verifier.connect(f.governor).addServiceKey(service.address);
  await settler.connect(f.governor).approveMeasurement(SOFTWARE_MEASUREMENT);
  return { ...f, service };
}

describe("TeeSettler with the node daemon (software enclave key)", function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-tee-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("settles a TEE request for the demo MLP, final at once, signed by the attested key", async function () {
    const f = await loadFixture(teeDaemonFixture);
    const node = f.operators[0];
    const keyFile = path.join(dir, "enclave.json");
    createEnclaveKey(keyFile);
    expect((fs.statSync(keyFile).mode & 0o777).toString(8)).to.equal("600");
    expect(() => createEnclaveKey(keyFile)).to.throw(/already exists/);
    const { wallet: enclave, measurement } = loadEnclaveKey(keyFile);
    expect(measurement).to.equal(SOFTWARE_MEASUREMENT);

    // the local attestation service attests the key for this node
    const chainId = (await ethers.provider.getNetwork()).chainId;
    const expiry = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 86_400n;
    const fields = { measurement, enclaveKey: enclave.address, node: node.address, expiry };
    const attestation = await signAttestation(
      f.service,
      attestationDomain(chainId, await f.attestationVerifier.getAddress()),
      fields,
    );
    await f.settler.connect(node).registerEnclave(measurement, enclave.address, expiry, attestation);

    const id = await requestFrom(f, "mlp", digitInput("mlp", 7).s0, node.address, MODE.TEE);
    const tee = await TeeVerifiedSettler.create(node, await f.settler.getAddress(), enclave);
    const { d } = await testNodeDaemon(f, node, path.join(dir, "journal.jsonl"), {
      verifiedSettlers: new Map([[MODE.TEE, tee]]),
    });
    await d.tick();
    d.close();

    const m = demoModel("mlp");
    const view = honestView(m.program, digitInput("mlp", 7).s0, m.weights);
    const outputHash = outputHashOf(view.states[view.program.layers.length]);
    const [settled] = await f.settler.queryFilter(f.settler.filters.TeeResultSettled(id));
    expect(settled.args.enclaveKey).to.equal(enclave.address);
    expect(settled.args.node).to.equal(node.address);
    expect(settled.args.outputHash).to.equal(outputHash);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(await f.inference.credits(node.address)).to.equal(FEE);
  });

  it("scripts/lib/tee-demo.ts runs the demo's TEE step: one request settled at once with the honest output", async function () {
    const f = await loadFixture(teeWiredFixture);
    const m = demoModel("mlp");
    const s0 = digitInput("mlp", 3).s0;
    const view = honestView(m.program, s0, m.weights);
    const output = view.states[view.program.layers.length];
    const lines: string[] = [];
    const r = await teeDemo({
      inferenceManager: f.inference,
      governor: f.governor,
      node: f.operators[0],
      requester: f.requester,
      versionId: 1n,
      fee: FEE,
      input: bytesOf(s0),
      output: bytesOf(output),
      traceRoot: view.trace.traceRoot,
      log: (line) => lines.push(line),
    });
    expect(await f.inference.statusOf(r.requestId)).to.equal(STATUS.Finalized);
    const [ev] = await f.settler.queryFilter(f.settler.filters.TeeResultSettled(r.requestId));
    expect(ev.args.outputHash).to.equal(outputHashOf(output));
    expect(ev.args.enclaveKey).to.equal(r.enclaveKey);
    expect(r.attestGas > 0n && r.settleGas > 0n).to.equal(true);
    expect(lines.join("\n")).to.contain("NOT hardware-protected");
  });
});
