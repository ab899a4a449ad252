/**
 * `npm run demo`: the protocol's first story, on Hardhat's in-process network, in a few seconds.
 *
 *   1. Deploy the protocol through its Ignition module (ignition/modules/Protocol.ts, local parameters).
 *   2. A publisher publishes the demo MNIST model: artifact CID, program digest, weights root, layer count and shapes
 *      computed by the reference executor from models/mlp.onnx (labelled placeholders if those files are absent).
 *   3. A node operator receives tokens, stakes the minimum with an EIP-2612 permit (one transaction), and registers
 *      a node that serves the published version.
 *   4. Print what happened: addresses, ids, stake, and the gas of every step.
 *
 * Requests, commitments and disputes arrive with the inference and dispute managers (a later release).
 */
import hre from "hardhat";

import { NodeStatus, VerificationMode } from "./lib/constants";
import { demoModel } from "./lib/model";
import { deployProtocol, mined, printTable, signPermit } from "./lib/protocol";

async function main(): Promise<void> {
  const { ethers } = hre;
  const started = Date.now();
  const [deployer, publisher, operator] = await ethers.getSigners();
  const steps: [string, string, string, bigint][] = [];

  // 1. Deploy.
  const protocol = await deployProtocol(hre);
  const { token, staking, modelRegistry, nodeRegistry } = protocol;
  for (const d of protocol.deploymentGas) steps.push([`deploy ${d.contract}`, "deployer", d.address, d.gasUsed]);
  const minimumStake = await staking.minimumStake();

  // 2. Publish the model.
  const model = await demoModel();
  const spec = {
    artifactCid: model.artifactCid,
    programDigest: model.programDigest,
    weightsRoot: model.weightsRoot,
    layerCount: model.layerCount,
    inputShape: model.inputShape,
    outputShape: model.outputShape,
    modes: VerificationMode.OPTIMISTIC | VerificationMode.NONE,
    fee: ethers.parseEther("0.1"),
  };
  const published = await mined(modelRegistry.connect(publisher).publishModel(model.name, spec));
  const event = published.logs
    .map((log) => modelRegistry.interface.parseLog(log))
    .find((parsed) => parsed?.name === "ModelVersionPublished");
  if (!event) throw new Error("publishModel emitted no ModelVersionPublished");
  const modelId: bigint = event.args.modelId;
  const versionId: bigint = event.args.versionId;
  steps.push([
    `publishModel "${model.name}"`,
    "publisher",
    `model ${modelId}, version ${versionId}`,
    published.gasUsed,
  ]);

  // 3. Fund, stake with permit, register.
  const funding = minimumStake + minimumStake / 2n;
  const funded = await mined(token.connect(deployer).transfer(operator.address, funding));
  steps.push(["transfer VRT to the operator", "deployer", `${ethers.formatEther(funding)} VRT`, funded.gasUsed]);

  const stakingAddress = await staking.getAddress();
  const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp + 3600);
  const { v, r, s } = await signPermit(hre, token, operator, stakingAddress, minimumStake, deadline);
  const staked = await mined(staking.connect(operator).stakeWithPermit(minimumStake, deadline, v, r, s));
  steps.push(["stakeWithPermit (one tx)", "operator", `${ethers.formatEther(minimumStake)} VRT`, staked.gasUsed]);

  const endpoint = "http://127.0.0.1:7070";
  const registered = await mined(nodeRegistry.connect(operator).register(endpoint, [versionId]));
  steps.push(["register node", "operator", `${endpoint} serves v${versionId}`, registered.gasUsed]);

  // 4. Tell the story.
  const node = await nodeRegistry.getNode(operator.address);
  const version = await modelRegistry.getVersion(versionId);
  const eligible = await nodeRegistry.isEligible(operator.address, versionId);

  console.log(
    "\nVerity demo: in-process Hardhat network, chain id",
    (await ethers.provider.getNetwork()).chainId.toString(),
  );
  console.log("\nContracts (deployed by ignition/modules/Protocol.ts with ignition/parameters/local.json)");
  printTable(
    ["contract", "address"],
    [
      ["VerityToken (VRT)", await token.getAddress()],
      ["Staking", stakingAddress],
      ["ModelRegistry", await modelRegistry.getAddress()],
      ["NodeRegistry", await nodeRegistry.getAddress()],
    ],
  );

  console.log("\nActors");
  printTable(
    ["role", "address"],
    [
      ["deployer (governor)", deployer.address],
      ["model publisher", publisher.address],
      ["node operator", operator.address],
    ],
  );

  console.log(
    `\nModel "${model.name}": model id ${modelId}, version id ${versionId} (version number ${version.number})`,
  );
  printTable(
    ["field", "value", "source"],
    [
      ["artifact CID", model.artifactCidText, model.provenance.artifactCid],
      ["artifact CID (bytes, on-chain)", ethers.hexlify(version.artifactCid), model.provenance.artifactCid],
      ["program digest", version.programDigest, model.provenance.program],
      ["weights root", version.weightsRoot, model.provenance.program],
      ["layer count", version.layerCount.toString(), model.provenance.program],
      ["input shape", `[${version.inputShape.join(", ")}]`, model.provenance.program],
      ["output shape", `[${version.outputShape.join(", ")}]`, model.provenance.program],
      ["modes", "NONE | OPTIMISTIC", "demo choice"],
      ["fee per inference", `${ethers.formatEther(version.fee)} VRT`, "demo choice"],
    ],
  );
  if (model.fallbackReason !== undefined) {
    console.log(`  (PLACEHOLDER values: ${model.fallbackReason}; the on-chain checks are the same.)`);
  }
  if (model.sampleInference !== undefined) {
    const sample = model.sampleInference;
    console.log(
      `  Executor check: held-out digit labelled ${sample.label} -> predicted ${sample.predicted}; ` +
        `${sample.states} committed states, trace root ${sample.traceRoot}`,
    );
  }

  console.log(`\nNode ${operator.address}`);
  printTable(
    ["field", "value"],
    [
      ["status", NodeStatus[Number(node.status)] ?? node.status.toString()],
      ["endpoint", node.endpoint],
      ["served versions", node.servedVersions.map((id) => id.toString()).join(", ")],
      ["staked (free)", `${ethers.formatEther(await staking.freeStake(operator.address))} VRT`],
      ["minimum stake", `${ethers.formatEther(minimumStake)} VRT`],
      ["wallet balance", `${ethers.formatEther(await token.balanceOf(operator.address))} VRT`],
      ["eligible for version " + versionId.toString(), eligible ? "yes" : "no"],
    ],
  );

  console.log("\nSteps");
  printTable(
    ["#", "step", "by", "result", "gas"],
    steps.map(([step, by, result, gas], i) => [String(i + 1), step, by, result, gas]),
  );
  const total = steps.reduce((sum, [, , , gas]) => sum + gas, 0n);
  console.log(`\nTotal gas ${total.toLocaleString("en-US")}; done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  if (!eligible) throw new Error("the registered node is not eligible to serve the published version");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
