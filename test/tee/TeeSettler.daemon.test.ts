import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";

import { honestView } from "../../game/view";
import { MODE } from "../../modes/verified";
import { attestationDomain, signAttestation } from "../../modes/tee/eip712";
import { createEnclaveKey, loadEnclaveKey, SOFTWARE_MEASUREMENT } from "../../modes/tee/enclave-key";
import { TeeRequestChangedError, TeeVerifiedSettler } from "../../modes/tee/settler";
import type { PartyView } from "../../game/view";
import { demoModel } from "../../models/demo-models";
import { teeDemo } from "../../scripts/lib/tee-demo";
import { bytesOf } from "../../executor/trace/trace";
import { deployDisputeFixture, digitInput, FEE, outputHashOf, requestFrom } from "../helpers/dispute-fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { MINIMUM_STAKE } from "../helpers/fixtures";
import { testNodeDaemon } from "../helpers/node-daemon";
import { bytesOf as fillBytes, DIGITS_OUTPUT_BYTES, DIGITS_VERSION } from "../helpers/inference-fixtures";
import { deployTeeFixture, teeRequest } from "./tee-fixture";

// End to end in process: the node daemon, holding a software enclave key in a file, serves a TEE request for the
// demo MLP through the real TeeSettler (attested key, EIP-712 signature), final at once with the honest output.

/** The dispute fixture (demo models, every mode) plus the TEE contracts wired as Protocol.ts wires them. */
async function teeWiredFixture() {
  const f = await deployDisputeFixture();
  const verifier = await ethers.deployContract("EcdsaAttestationVerifier", [f.governor.address]);
  const settler = await ethers.deployContract("TeeSettler", [
    await f.inference.getAddress(),
    await f.staking.getAddress(),
    await f.nodes.getAddress(),
    await verifier.getAddress(),
    f.governor.address,
    MINIMUM_STAKE,
    500_000,
  ]);
  await f.inference.connect(f.governor).setModeSettler(MODE.TEE, await settler.getAddress());
  await f.staking.connect(f.governor).grantRole(await f.staking.SLASHER_ROLE(), await settler.getAddress());
  await f.nodes.connect(f.governor).grantRole(await f.nodes.SLASHER_ROLE(), await settler.getAddress());
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

describe("T8: TeeSettler with the node daemon (software enclave key)", function () {
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
  it("T10-1: TeeVerifiedSettler refuses to sign a result whose request a reorg gave another input", async function () {
    const t = await loadFixture(deployTeeFixture);
    const tee = await TeeVerifiedSettler.create(t.node, await t.settler.getAddress(), t.enclave);
    const output = fillBytes(DIGITS_OUTPUT_BYTES, 41);
    const traceRoot = ethers.keccak256(fillBytes(32, 42));
    const resultFor = (requestId: bigint, input: string) => ({
      requestId,
      versionId: DIGITS_VERSION,
      input,
      output,
      traceRoot,
      view: undefined as unknown as PartyView, // the TEE settler does not use the trace
    });
    const fork = await takeSnapshot();
    const before = await teeRequest(t, 1);
    await fork.restore(); // the request is reorged out; the same id now carries another input
    const after = await teeRequest(t, 2);
    expect(after.id).to.equal(before.id);
    await expect(tee.settle(resultFor(before.id, before.input), {})).to.be.rejectedWith(
      TeeRequestChangedError,
      new RegExp(`request ${before.id} is now for version ${DIGITS_VERSION} and input hash ${after.inputHash}`),
    );
    const sent = await tee.settle(resultFor(after.id, after.input), {});
    await expect(sent)
      .to.emit(t.settler, "TeeResultSettled")
      .withArgs(after.id, t.node.address, t.enclave.address, ethers.keccak256(output));
  });
});
