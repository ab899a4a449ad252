/**
 * Requesting an inference from a script, with ethers v6 and the TypeChain bindings (docs/REQUESTER.md).
 *
 *   VERITY_RPC_URL=http://127.0.0.1:8545 VERITY_PRIVATE_KEY=0x… \
 *     npx ts-node --transpile-only scripts/examples/request-digit.ts <versionId> [digit index] [node address]
 *
 * It quantizes a held-out digit with the version's program from the local store (.verity/store, written by
 * `verity model publish`), pays the fee with an EIP-2612 permit (no approval transaction), sends `requestWithPermit`,
 * waits for the node's `ResultCommitted`, checks it by re-running the program (output hash and trace root), then
 * waits for `RequestFinalized`, finalizing the request itself once the challenge window has passed (anyone may).
 * The addresses come from the Ignition deployment of the chain (`VERITY_DEPLOYMENT` to point elsewhere), read and
 * attached by protocol/deployment.ts and protocol/contracts.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { JsonRpcProvider, Wallet, ZeroAddress, ZeroHash, formatUnits, getBytes, hexlify, keccak256 } from "ethers";

import { InferenceRequestStatus, VerificationModes } from "../../protocol/constants";
import { attachProtocol } from "../../protocol/contracts";
import { defaultDeploymentFile, readDeploymentFile } from "../../protocol/deployment";
import { signPermit } from "../../protocol/permit";
import { loadStoredProgram } from "../../cli/store";
import { honestView } from "../../game/view";
import { dequantizeOutput, quantizeInput } from "../../executor/quant";
import { bytesOf } from "../../executor/trace/trace";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const [versionArg, digitArg = "0", node = ZeroAddress] = process.argv.slice(2);
  if (!versionArg) throw new Error("usage: request-digit.ts <versionId> [digit index] [node address]");
  const provider = new JsonRpcProvider(process.env.VERITY_RPC_URL ?? "http://127.0.0.1:8545");
  const wallet = new Wallet(process.env.VERITY_PRIVATE_KEY ?? "", provider);
  const { chainId } = await provider.getNetwork();
  const genesis = (await provider.getBlock(0))!.hash!;
  const found = defaultDeploymentFile(chainId, genesis);
  const file = process.env.VERITY_DEPLOYMENT ?? found.file;
  if (!file) throw new Error(`no deployment for chain ${chainId}: looked for ${found.looked.join(", ")}`);
  const {
    token,
    modelRegistry: registry,
    inferenceManager: manager,
  } = attachProtocol(readDeploymentFile(file), wallet);

  // 1. The version's program turns the image into the int8 input state S0 that goes on-chain.
  const versionId = BigInt(versionArg);
  const version = await registry.getVersion(versionId);
  const { program } = loadStoredProgram(version.artifactCid, version.programDigest, versionId);
  const digits = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "models", "digits-test.json"), "utf8"),
  ) as { images: number[][]; labels: number[] };
  const index = Number(digitArg);
  const s0 = quantizeInput(program, Float32Array.from(digits.images[index]));

  // 2. Pay the fee with a permit and request. node = ZeroAddress: an open request any eligible node may claim.
  const deadline = BigInt((await provider.getBlock("latest"))!.timestamp + 600);
  const { v, r, s } = await signPermit(token, wallet, await manager.getAddress(), version.fee, deadline);
  const receipt = await (
    await manager.requestWithPermit(
      versionId,
      hexlify(bytesOf(s0)),
      version.fee,
      node,
      VerificationModes.OPTIMISTIC,
      ZeroAddress,
      0,
      {
        deadline,
        v,
        r,
        s,
      },
    )
  ).wait();
  const requested = receipt!.logs
    .map((log) => manager.interface.parseLog(log))
    .find((parsed) => parsed?.name === "InferenceRequested")!;
  const requestId = requested.args.requestId as bigint;
  console.log(
    `request ${requestId}: digit #${index} (label ${digits.labels[index]}), fee ${formatUnits(version.fee, 18)} VRT`,
  );

  // 3. Wait for the node's commitment (a batched request has only a leaf: see docs/REQUESTER.md).
  const fromBlock = receipt!.blockNumber;
  let committed;
  while (!committed) {
    [committed] = await manager.queryFilter(manager.filters.ResultCommitted(requestId), fromBlock);
    if (!committed) await sleep(1000);
  }
  const output = new Int8Array(getBytes(committed.args.output).buffer.slice(0));
  const logits = Array.from(dequantizeOutput(program, output));
  console.log(`committed by ${committed.args.node}: predicted ${logits.indexOf(Math.max(...logits))}`);

  // 4. Verify: re-run the program on the input and compare the output hash and the trace root.
  const mine = honestView(program, s0);
  const ok =
    keccak256(bytesOf(mine.states[mine.states.length - 1])) === committed.args.outputHash &&
    mine.trace.traceRoot === committed.args.traceRoot;
  console.log(ok ? "verified: MATCH" : "MISMATCH: dispute it inside the window (a challenger daemon does)");

  // 5. Wait for finality; once the window has passed, finalize it ourselves if nobody has.
  for (;;) {
    const [final] = await manager.queryFilter(manager.filters.RequestFinalized(requestId), fromBlock);
    if (final) {
      console.log(`final in block ${final.blockNumber}: the node was paid ${formatUnits(final.args.fee, 18)} VRT`);
      break;
    }
    const { windowEnd, status } = await manager.getRequest(requestId);
    const now = BigInt((await provider.getBlock("latest"))!.timestamp);
    if (Number(status) === InferenceRequestStatus.Committed && now > windowEnd) {
      // The node's daemon finalizes too; whoever is second reverts (InferenceManagerInvalidStatus), harmlessly.
      try {
        await (await manager.finalize(requestId, "0x", ZeroHash)).wait();
      } catch (error) {
        console.log(`finalize: ${(error as { shortMessage?: string }).shortMessage ?? error}; reading again`);
      }
      continue;
    }
    await sleep(1000);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
