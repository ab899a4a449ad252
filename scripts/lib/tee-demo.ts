/**
 * One TEE-mode request for the demo (issue 6: "the demo shows each mode once"), as a step the demo script can call:
 * governance approves the software enclave's measurement and a local attestation-service key, the node binds a
 * SOFTWARE enclave key (NOT hardware-protected: an in-memory key stands in for a key sealed inside a TEE), the
 * requester asks for mode TEE, and the node's enclave key signs the honest result, which the TeeSettler settles,
 * final at once. Needs a version published with the TEE mode bit (4) that `node` serves.
 */
import { Wallet, keccak256, type ContractTransactionResponse, type Signer } from "ethers";

import type { InferenceManager, TeeSettler } from "../../typechain-types";
import { attestationDomain, settlerDomain, signAttestation, signResult } from "../../modes/tee/eip712";
import { SOFTWARE_KEY_WARNING, SOFTWARE_MEASUREMENT } from "../../modes/tee/enclave-key";
import { EcdsaAttestationVerifier__factory, TeeSettler__factory } from "../../typechain-types";

export interface TeeDemoArgs {
  inferenceManager: InferenceManager;
  governor: Signer;
  node: Signer;
  requester: Signer;
  versionId: bigint;
  fee: bigint;
  /** The quantized input (S_0) as bytes, and the node's honest output and trace root for it. */
  input: Uint8Array;
  output: Uint8Array;
  traceRoot: string;
  /** Called with each mined transaction (for the demo's gas table). */
  record?: (who: string, action: string, tx: Promise<ContractTransactionResponse>) => Promise<{ gasUsed: bigint }>;
  log?: (line: string) => void;
}

export interface TeeDemoResult {
  requestId: bigint;
  enclaveKey: string;
  attestGas: bigint;
  settleGas: bigint;
}

export async function teeDemo(a: TeeDemoArgs): Promise<TeeDemoResult> {
  const log = a.log ?? ((line: string) => console.log(line));
  const record =
    a.record ??
    (async (_who: string, _action: string, tx: Promise<ContractTransactionResponse>) => (await (await tx).wait())!);
  const chainId = (await a.node.provider!.getNetwork()).chainId;
  const settlerAddress = await a.inferenceManager.modeSettler(4);
  const settler: TeeSettler = TeeSettler__factory.connect(settlerAddress, a.governor);
  const verifier = EcdsaAttestationVerifier__factory.connect(await settler.attestationVerifier(), a.governor);
  const service = Wallet.createRandom();
  const enclave = Wallet.createRandom();
  const node = await a.node.getAddress();

  log(`   governance approves the software enclave's measurement and a local attestation service`);
  await record("governor", "TEE: addServiceKey", verifier.addServiceKey(service.address));
  await record("governor", "TEE: approveMeasurement", settler.approveMeasurement(SOFTWARE_MEASUREMENT));
  log(`   ${SOFTWARE_KEY_WARNING}`);
  const expiry = BigInt((await a.node.provider!.getBlock("latest"))!.timestamp) + 86_400n;
  const attestation = await signAttestation(service, attestationDomain(chainId, await verifier.getAddress()), {
    measurement: SOFTWARE_MEASUREMENT,
    enclaveKey: enclave.address,
    node,
    expiry,
  });
  const attest = await record(
    "node",
    "TEE: registerEnclave",
    settler.connect(a.node).registerEnclave(SOFTWARE_MEASUREMENT, enclave.address, expiry, attestation),
  );
  log(
    `   the node binds enclave key ${enclave.address} (attested until ${new Date(Number(expiry) * 1000).toISOString()})`,
  );

  const requested = await record(
    "requester",
    "TEE: request",
    a.inferenceManager
      .connect(a.requester)
      .request(a.versionId, a.input, a.fee, node, 4, "0x0000000000000000000000000000000000000000", 0),
  );
  void requested;
  const requestId = await a.inferenceManager.requestCount();
  const signature = await signResult(enclave, settlerDomain(chainId, settlerAddress), {
    requestId,
    modelVersion: a.versionId,
    inputHash: keccak256(a.input),
    outputHash: keccak256(a.output),
    traceRoot: a.traceRoot,
  });
  const settled = await record(
    "node",
    "TEE: settle",
    settler.connect(a.node).settle(requestId, a.output, a.traceRoot, signature),
  );
  log(`   request ${requestId} (mode TEE) settled by the enclave's signature: final at once, no challenge window`);
  return { requestId, enclaveKey: enclave.address, attestGas: attest.gasUsed, settleGas: settled.gasUsed };
}
