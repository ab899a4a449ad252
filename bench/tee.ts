/**
 * Gas of the TEE verification mode (issue 6), from receipts on Hardhat's in-process network. bench/run.ts stores the
 * figures under `gas`:
 *   attest       `TeeSettler.registerEnclave`: a node binds a fresh enclave key with an attestation that the
 *                reference EcdsaAttestationVerifier checks (one ecrecover + an EIP-712 digest).
 *   teeCommit    `TeeSettler.settle` of a TEE request, end to end: enclave-signature check, then
 *                `InferenceManager.settleVerified` (commit + finalize at once; WIDE version, 256-byte output, no
 *                callback; the node already holds credits, as on a live deployment).
 *   teeEquivocation  `reportEquivocation`: two signature checks, a slash with a reward to the reporter, and the
 *                node jailed in the NodeRegistry (an Active node: status read, then `jail`).
 * Compare teeCommit with commit + finalize of the OPTIMISTIC path (gas.commit + gas.finalize).
 */
import hre from "hardhat";

import { bytesOf, WIDE_VERSION, VERSION_FEE } from "../test/helpers/inference-fixtures";
import { MODE } from "../test/helpers/fixtures";
import { attest, deployTeeFixture, MEASUREMENT, now, signFor } from "../test/tee/tee-fixture";

const { ethers } = hre;

async function gasOf(tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

export async function benchTee(): Promise<{ attest: number; teeCommit: number; teeEquivocation: number }> {
  const t = await deployTeeFixture();
  const [requester] = t.requesters;
  const none = ethers.ZeroAddress;
  const traceRoot = ethers.keccak256(bytesOf(32, 5));

  // attest: a first registration of a new key by a staked operator
  const key = new ethers.Wallet(ethers.id("bench-enclave"));
  const expiry = (await now()) + 30n * 86_400n;
  const attestation = await attest(t, { node: t.outsider.address, enclaveKey: key.address, expiry });
  const attestGas = await gasOf(
    t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, attestation),
  );

  // teeCommit: warm up once (the node gets credits), then measure the second settlement
  const settleOne = async (seed: number) => {
    const input = bytesOf(256, seed);
    const output = bytesOf(256, seed + 1);
    await t.manager.connect(requester).request(WIDE_VERSION, input, VERSION_FEE, t.node.address, MODE.TEE, none, 0);
    const id = await t.manager.requestCount();
    const result = {
      requestId: id,
      modelVersion: WIDE_VERSION,
      inputHash: ethers.keccak256(input),
      outputHash: ethers.keccak256(output),
      traceRoot,
    };
    const signature = await signFor(t, t.enclave, result);
    return { gas: await gasOf(t.settler.settle(id, output, traceRoot, signature)), result };
  };
  await settleOne(10);
  const { gas: teeCommit, result } = await settleOne(20);

  const a = { ...result, signature: await signFor(t, t.enclave, result) };
  const other = { ...result, outputHash: ethers.keccak256(bytesOf(256, 99)) };
  const b = { ...other, signature: await signFor(t, t.enclave, other) };
  const teeEquivocation = await gasOf(t.settler.connect(t.stranger).reportEquivocation(a, b));
  return { attest: attestGas, teeCommit, teeEquivocation };
}

if (require.main === module) {
  benchTee()
    .then((gas) => console.log(JSON.stringify(gas, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
