/**
 * Checks a deployment made with `hardhat ignition deploy`: the contracts exist, point at each other, hold the
 * parameters of the parameter file, the thawing period covers the challenge window plus two of the longest games,
 * and the roles are held by exactly the intended accounts (the governor, and the managers the deployment wired).
 *
 *   VERITY_DEPLOYMENT=chain-31337 VERITY_PARAMETERS=ignition/parameters/local.json \
 *     npx hardhat run scripts/check-deployment.ts --network localhost
 *
 * Environment:
 *   VERITY_DEPLOYMENT   deployment id, i.e. the folder under ignition/deployments (default: `verity deploy`'s
 *                       chain-<chain id>-<genesis8>, else Ignition's chain-<chain id>).
 *   VERITY_PARAMETERS   the parameter file used to deploy (optional; without it, parameters are printed, not checked).
 *   VERITY_GOVERNOR     the governor's address, when neither the parameter file nor a key (--network's account,
 *                       taken as the deployer) names it. Checking roles is read-only: no key is needed.
 * Without a governor the governor's roles cannot be checked: they are listed as not checked and the script fails.
 *   VERITY_FROM_BLOCK   first block to scan for RoleGranted/RoleRevoked (default 0; set it on chains whose RPC limits
 *                       log ranges).
 * Exits with status 1 if any check fails.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import type { BaseContract } from "ethers";

import { defaultDeploymentFile } from "../protocol/deployment";
import { printTable } from "./lib/protocol";

const ROLE_NAMES = [
  "DEFAULT_ADMIN_ROLE",
  "GOVERNOR_ROLE",
  "MINTER_ROLE",
  "SLASHER_ROLE",
  "INFERENCE_ROLE",
  "DISPUTE_ROLE",
];

type Parameters = Record<string, Record<string, unknown>>;

function readParameters(file: string): Parameters {
  return JSON.parse(readFileSync(file, "utf8"), (_key, value: unknown) =>
    typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
  ) as Parameters;
}

/** The current holders of each role on `contract`, replayed from its RoleGranted and RoleRevoked events. */
async function roleHolders(contract: BaseContract, fromBlock: number): Promise<Map<string, Set<string>>> {
  const { ethers } = hre;
  const names = new Map(
    ROLE_NAMES.map((name) => [name === "DEFAULT_ADMIN_ROLE" ? ethers.ZeroHash : ethers.id(name), name]),
  );
  const logs = await ethers.provider.getLogs({ address: await contract.getAddress(), fromBlock, toBlock: "latest" });
  const holders = new Map<string, Set<string>>();
  for (const log of logs) {
    const parsed = contract.interface.parseLog(log);
    if (parsed === null || (parsed.name !== "RoleGranted" && parsed.name !== "RoleRevoked")) continue;
    const role = names.get(parsed.args.role as string) ?? (parsed.args.role as string);
    const set = holders.get(role) ?? new Set<string>();
    if (parsed.name === "RoleGranted") set.add(parsed.args.account as string);
    else set.delete(parsed.args.account as string);
    holders.set(role, set);
  }
  return holders;
}

async function main(): Promise<void> {
  const { ethers } = hre;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const genesis = (await ethers.provider.getBlock(0))?.hash ?? "0x";
  const found = defaultDeploymentFile(chainId, genesis).file;
  const deploymentId =
    process.env.VERITY_DEPLOYMENT ?? (found ? path.basename(path.dirname(found)) : `chain-${chainId}`);
  const addressesFile = path.resolve(__dirname, "../ignition/deployments", deploymentId, "deployed_addresses.json");
  if (!existsSync(addressesFile)) throw new Error(`no deployment at ${addressesFile} (set VERITY_DEPLOYMENT)`);
  const addresses = JSON.parse(readFileSync(addressesFile, "utf8")) as Record<string, string>;
  const parameters = process.env.VERITY_PARAMETERS ? readParameters(process.env.VERITY_PARAMETERS) : undefined;
  const fromBlock = Number(process.env.VERITY_FROM_BLOCK ?? 0);

  const failures: string[] = [];
  const rows: string[][] = [];
  const check = (what: string, actual: unknown, expected: unknown) => {
    const ok = expected === undefined || String(actual).toLowerCase() === String(expected).toLowerCase();
    rows.push([
      what,
      String(actual),
      expected === undefined ? "(not checked)" : ok ? "ok" : `FAIL: expected ${String(expected)}`,
    ]);
    if (!ok) failures.push(what);
  };

  const tokenAddress = addresses["VerityToken#VerityToken"] ?? addresses["ExistingToken#Token"];
  const staking = await ethers.getContractAt("Staking", addresses["Staking#Staking"]);
  const modelRegistry = await ethers.getContractAt("ModelRegistry", addresses["ModelRegistry#ModelRegistry"]);
  const nodeRegistry = await ethers.getContractAt("NodeRegistry", addresses["NodeRegistry#NodeRegistry"]);
  const inferenceManager = await ethers.getContractAt(
    "InferenceManager",
    addresses["InferenceManager#InferenceManager"],
  );
  const verifierAddress = addresses["StepVerifier#IntegerStepVerifier"];
  const disputeManager = await ethers.getContractAt("DisputeManager", addresses["DisputeManager#DisputeManager"]);
  const redundantManager = await ethers.getContractAt(
    "RedundantManager",
    addresses["RedundantManager#RedundantManager"],
  );
  const teeSettler = await ethers.getContractAt("TeeSettler", addresses["Tee#TeeSettler"]);
  const attestationVerifier = await ethers.getContractAt(
    "EcdsaAttestationVerifier",
    addresses["Tee#EcdsaAttestationVerifier"],
  );
  for (const [name, address] of Object.entries(addresses)) {
    check(`${name} has code`, (await ethers.provider.getCode(address)) !== "0x", true);
  }
  const im = await inferenceManager.getAddress();
  const dm = await disputeManager.getAddress();
  const rm = await redundantManager.getAddress();
  const tee = await teeSettler.getAddress();

  // Links.
  check("Staking.token()", await staking.token(), tokenAddress);
  check("NodeRegistry.staking()", await nodeRegistry.staking(), await staking.getAddress());
  check("NodeRegistry.modelRegistry()", await nodeRegistry.modelRegistry(), await modelRegistry.getAddress());
  check("InferenceManager.token()", await inferenceManager.token(), tokenAddress);
  check("InferenceManager.staking()", await inferenceManager.staking(), await staking.getAddress());
  check("InferenceManager.modelRegistry()", await inferenceManager.modelRegistry(), await modelRegistry.getAddress());
  check("InferenceManager.nodeRegistry()", await inferenceManager.nodeRegistry(), await nodeRegistry.getAddress());
  check("DisputeManager.token()", await disputeManager.token(), tokenAddress);
  check("DisputeManager.inference()", await disputeManager.inference(), im);
  check("DisputeManager.modelRegistry()", await disputeManager.modelRegistry(), await modelRegistry.getAddress());
  check("DisputeManager.nodeRegistry()", await disputeManager.nodeRegistry(), await nodeRegistry.getAddress());
  check("DisputeManager.staking()", await disputeManager.staking(), await staking.getAddress());
  check("DisputeManager.verifier()", await disputeManager.verifier(), verifierAddress);
  check("RedundantManager.staking()", await redundantManager.staking(), await staking.getAddress());
  check("RedundantManager.nodeRegistry()", await redundantManager.nodeRegistry(), await nodeRegistry.getAddress());
  check("RedundantManager.verifier()", await redundantManager.verifier(), verifierAddress);
  check("InferenceManager.modeSettler(TEE)", await inferenceManager.modeSettler(4), tee);
  check("TeeSettler.inferenceManager()", await teeSettler.inferenceManager(), im);
  check("TeeSettler.staking()", await teeSettler.staking(), await staking.getAddress());
  check("TeeSettler.nodeRegistry()", await teeSettler.nodeRegistry(), await nodeRegistry.getAddress());
  check(
    "TeeSettler.attestationVerifier()",
    await teeSettler.attestationVerifier(),
    await attestationVerifier.getAddress(),
  );
  const zkSettler = addresses["Zk#ZkSettler"]
    ? await ethers.getContractAt("ZkSettler", addresses["Zk#ZkSettler"])
    : undefined;
  if (zkSettler) {
    check("InferenceManager.modeSettler(ZK)", await inferenceManager.modeSettler(8), await zkSettler.getAddress());
    check("ZkSettler.inferenceManager()", await zkSettler.inferenceManager(), im);
    check("ZkSettler.modelRegistry()", await zkSettler.modelRegistry(), await modelRegistry.getAddress());
  }

  // Parameters.
  const p = parameters?.Staking ?? {};
  check("Staking.minimumStake()", await staking.minimumStake(), p.minimumStake);
  check("Staking.thawingPeriod()", await staking.thawingPeriod(), p.thawingPeriod);
  check("Staking.maxThawRequests()", await staking.maxThawRequests(), p.maxThawRequests);
  check("Staking.treasury()", await staking.treasury(), parameters ? (p.treasury ?? ethers.ZeroAddress) : undefined);
  const i = parameters?.InferenceManager ?? {};
  check("InferenceManager.challengeWindow()", await inferenceManager.challengeWindow(), i.challengeWindow);
  check("InferenceManager.requestTimeout()", await inferenceManager.requestTimeout(), i.requestTimeout);
  check(
    "InferenceManager.collateralMultiplier()",
    await inferenceManager.collateralMultiplier(),
    i.collateralMultiplier,
  );
  check("InferenceManager.maxCallbackGas()", await inferenceManager.maxCallbackGas(), i.maxCallbackGas);
  check("InferenceManager.serveTimeout()", await inferenceManager.serveTimeout(), i.serveTimeout);
  const d = parameters?.DisputeManager ?? {};
  check("DisputeManager.bond()", await disputeManager.bond(), d.bond);
  check("DisputeManager.moveClock()", await disputeManager.moveClock(), d.moveClock);
  check("DisputeManager.clockExtension()", await disputeManager.clockExtension(), d.clockExtension);
  check("DisputeManager.rewardPpm()", await disputeManager.rewardPpm(), d.rewardPpm);
  const t = parameters?.Tee ?? {};
  check("TeeSettler.equivocationSlash()", await teeSettler.equivocationSlash(), t.equivocationSlash);
  check("TeeSettler.equivocationRewardPpm()", await teeSettler.equivocationRewardPpm(), t.equivocationRewardPpm);

  // A node must not be able to withdraw stake before a dispute over its last commitment can end.
  const window = BigInt(await inferenceManager.challengeWindow());
  const game = await disputeManager.maxGameDuration();
  const thawing = BigInt(await staking.thawingPeriod());
  check(
    `thawingPeriod >= challengeWindow + 2 x maxGameDuration (${window} + 2 x ${game})`,
    thawing >= window + 2n * game,
    true,
  );

  // Roles: the governor holds admin and governor roles; the managers hold theirs; nobody else holds anything.
  // With the hand-over variant the governor is `Protocol.governor`; otherwise `$global.governor` or the deployer.
  const [deployer] = await ethers.getSigners();
  const governor =
    (parameters?.Protocol?.governor as string | undefined) ??
    (parameters?.$global?.governor as string | undefined) ??
    (process.env.VERITY_GOVERNOR || undefined) ??
    deployer?.address;
  const unchecked: string[] = [];
  const governs = { DEFAULT_ADMIN_ROLE: [governor], GOVERNOR_ROLE: [governor] };
  const expected: [string, BaseContract, Record<string, (string | undefined)[]>][] = [
    ["Staking", staking, { ...governs, SLASHER_ROLE: [dm, rm, tee, im], INFERENCE_ROLE: [im, rm] }],
    ["NodeRegistry", nodeRegistry, { ...governs, SLASHER_ROLE: [dm, rm, tee] }],
    ["InferenceManager", inferenceManager, { ...governs, DISPUTE_ROLE: [dm] }],
    ["DisputeManager", disputeManager, { ...governs }],
    ["RedundantManager", redundantManager, { ...governs }],
    ["TeeSettler", teeSettler, { ...governs }],
    ["EcdsaAttestationVerifier", attestationVerifier, { ...governs }],
  ];
  if (zkSettler) expected.push(["ZkSettler", zkSettler, { ...governs }]);
  if (addresses["VerityToken#VerityToken"]) {
    const token = await ethers.getContractAt("VerityToken", tokenAddress);
    expected.push(["VerityToken", token, { DEFAULT_ADMIN_ROLE: [governor], MINTER_ROLE: [governor] }]);
  }
  for (const [name, contract, roles] of expected) {
    const holders = await roleHolders(contract, fromBlock);
    for (const role of new Set([...Object.keys(roles), ...holders.keys()])) {
      const actual = [...(holders.get(role) ?? [])].sort().join(", ") || "(nobody)";
      const wanted = (roles[role] ?? []).filter((a): a is string => a !== undefined && a !== "");
      const want = [...wanted].sort().join(", ") || "(nobody)";
      // Without a governor, only the roles that belong to no governor can be checked.
      const needsGovernor = governor === undefined && (roles[role] ?? []).some((a) => a === undefined);
      if (needsGovernor) unchecked.push(`${name} ${role}`);
      check(`${name} ${role}`, actual, needsGovernor ? undefined : want);
    }
  }

  console.log(`\nDeployment ${deploymentId} on chain ${chainId}`);
  printTable(["check", "value", "result"], rows);
  if (failures.length > 0) {
    console.error(`\n${failures.length} check(s) failed: ${failures.join("; ")}`);
    process.exitCode = 1;
  } else if (unchecked.length > 0) {
    console.error(
      `\n${unchecked.length} role(s) not checked, for want of the governor's address: ${unchecked.join("; ")}\n` +
        "Set VERITY_GOVERNOR=<address> (or VERITY_PARAMETERS with the governor); checking roles needs no key.",
    );
    process.exitCode = 1;
  } else {
    console.log("\nAll checks passed.");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
