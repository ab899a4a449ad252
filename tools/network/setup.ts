/**
 * Everything `npm run network` does on the chain before it starts the daemons: deploy (tools/network/deploy.ts, with
 * the chain's parameters file), set the challenge window if asked (the hardhat node's 60 s, which the tool's clock
 * steps through; anvil's short window comes from its parameters), publish both demo models, fund, stake and register the
 * operators (above the minimum stake, so that collateral locked by their commitments never makes them ineligible),
 * fund the challenger and the requesters, and quantize held-out digits into request inputs for the load generator.
 * It all goes into `<dir>/network.json`, which the load generator and the status table read.
 */
import * as fs from "fs";
import * as path from "path";
import {
  hexlify,
  JsonRpcProvider,
  MaxUint256,
  NonceManager,
  parseEther,
  Wallet,
  type ContractTransactionResponse,
} from "ethers";

import {
  InferenceManager__factory,
  ModelRegistry__factory,
  NodeRegistry__factory,
  Staking__factory,
  VerityToken__factory,
} from "../../typechain-types";
import { bytesOf } from "../../executor/trace/trace";
import { VerificationModes } from "../../protocol/constants";
import { demoModel, readDigits } from "../../models/demo-models";
import { deployProtocolTo, type NetworkAddresses } from "./deploy";
import type { ChainKind } from "./chain";
import { DEV_KEYS } from "./processes";

/** The fee of each demo version; collateral is fee × collateralMultiplier (10 with the local parameters). */
export const NETWORK_FEE = parseEther("0.01");
/** Stake above the minimum: room for 1,000 open commitments' collateral at NETWORK_FEE. */
export const STAKE_HEADROOM = parseEther("100");

export interface NetworkAccount {
  role: string;
  address: string;
  key: string;
}

/** `<dir>/network.json`: what every process of the network needs to know. */
export interface NetworkConfig {
  url: string;
  /** The local chain (tools/network/chain.ts): anvil with interval mining, or an automine hardhat node. */
  chain: ChainKind;
  chainId: string;
  deployment: string;
  addresses: NetworkAddresses;
  governor: NetworkAccount;
  operators: NetworkAccount[];
  challenger: NetworkAccount;
  requesters: NetworkAccount[];
  versions: { mlp: string; cnn: string };
  fee: string;
  challengeWindow: number;
  stakePerOperator: string;
  /** Quantized held-out digits (hex S0) per model, with their labels. */
  inputs: { mlp: string[]; cnn: string[]; labels: number[] };
}

export interface SetupOptions {
  url: string;
  chain: ChainKind;
  dir: string;
  operators?: number;
  requesters?: number;
  /** How many held-out digits to quantize into inputs (the load generator cycles through them). */
  digits?: number;
  /** Ignition parameters file (default ignition/parameters/local.json). */
  parameters?: string;
  /** Challenge window to set after the deployment, in seconds (default: the deployment's). */
  challengeWindow?: number;
}

async function mined(tx: Promise<ContractTransactionResponse>): Promise<void> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error(`transaction failed: ${receipt?.hash ?? "(no receipt)"}`);
}

export async function setupNetwork(opts: SetupOptions): Promise<NetworkConfig> {
  const operatorCount = opts.operators ?? 3;
  const requesterCount = opts.requesters ?? 4;
  if (1 + operatorCount + 1 + requesterCount > DEV_KEYS.length) throw new Error("not enough development accounts");
  fs.mkdirSync(opts.dir, { recursive: true });
  const deployment = path.join(opts.dir, "deployment.json");
  const addresses = await deployProtocolTo(opts.url, deployment, opts.parameters);

  const provider = new JsonRpcProvider(opts.url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const account = (role: string, i: number): NetworkAccount => ({
      role,
      key: DEV_KEYS[i],
      address: new Wallet(DEV_KEYS[i]).address,
    });
    const governor = account("governor", 0);
    const operators = Array.from({ length: operatorCount }, (_, i) => account(`node ${i + 1}`, 1 + i));
    const challenger = account("challenger", 1 + operatorCount);
    const requesters = Array.from({ length: requesterCount }, (_, i) =>
      account(`requester ${i + 1}`, 2 + operatorCount + i),
    );
    const signer = (a: NetworkAccount) => new NonceManager(new Wallet(a.key, provider));

    const gov = signer(governor);
    const token = VerityToken__factory.connect(addresses.token, gov);
    const inference = InferenceManager__factory.connect(addresses.inferenceManager, gov);
    const models = ModelRegistry__factory.connect(addresses.modelRegistry, gov);
    const staking = Staking__factory.connect(addresses.staking, gov);

    // Governance: the window asked for (on an automine chain the orchestrator time-travels past it).
    if (opts.challengeWindow !== undefined) await mined(inference.setChallengeWindow(opts.challengeWindow));
    const window = await inference.challengeWindow();

    // The publisher (the governor's account) publishes both demo models with the executor's commitments.
    const versions: Record<"mlp" | "cnn", string> = { mlp: "", cnn: "" };
    for (const name of ["mlp", "cnn"] as const) {
      const m = demoModel(name);
      await mined(
        models.publishModel(`digits-${name}`, {
          artifactCid: m.artifactCid,
          programDigest: m.programDigest,
          weightsRoot: m.weights.root,
          layerCount: m.program.layers.length,
          inputShape: [...m.program.inputShape],
          outputShape: [...m.program.outputShape],
          modes: VerificationModes.OPTIMISTIC | VerificationModes.NONE,
          fee: NETWORK_FEE,
        }),
      );
      const modelId = await models.modelIdOf(governor.address, `digits-${name}`);
      versions[name] = (await models.latestVersion(modelId)).toString();
    }

    // Operators: funded, staked above the minimum, registered for both versions.
    const stake = (await staking.minimumStake()) + STAKE_HEADROOM;
    const stakingAddress = await staking.getAddress();
    for (const [i, op] of operators.entries()) {
      await mined(token.transfer(op.address, stake));
      const s = signer(op);
      await mined(VerityToken__factory.connect(addresses.token, s).approve(stakingAddress, stake));
      await mined(Staking__factory.connect(addresses.staking, s).stake(stake));
      await mined(
        NodeRegistry__factory.connect(addresses.nodeRegistry, s).register(`http://127.0.0.1:${7100 + i}`, [
          BigInt(versions.mlp),
          BigInt(versions.cnn),
        ]),
      );
    }
    // The challenger: enough for many bonds. Requesters: fees for thousands of requests, approved once.
    await mined(token.transfer(challenger.address, parseEther("10000")));
    await mined(
      VerityToken__factory.connect(addresses.token, signer(challenger)).approve(addresses.disputeManager, MaxUint256),
    );
    for (const r of requesters) {
      await mined(token.transfer(r.address, parseEther("1000")));
      await mined(
        VerityToken__factory.connect(addresses.token, signer(r)).approve(addresses.inferenceManager, MaxUint256),
      );
    }

    const digits = readDigits("digits-test.json");
    const n = Math.min(opts.digits ?? 64, digits.images.length);
    const inputs = {
      mlp: digits.images.slice(0, n).map((img) => hexlify(bytesOf(demoModel("mlp").quantize(img)))),
      cnn: digits.images.slice(0, n).map((img) => hexlify(bytesOf(demoModel("cnn").quantize(img)))),
      labels: digits.labels.slice(0, n),
    };
    const config: NetworkConfig = {
      url: opts.url,
      chain: opts.chain,
      chainId: (await provider.getNetwork()).chainId.toString(),
      deployment,
      addresses,
      governor,
      operators,
      challenger,
      requesters,
      versions,
      fee: NETWORK_FEE.toString(),
      challengeWindow: Number(window),
      stakePerOperator: stake.toString(),
      inputs,
    };
    fs.writeFileSync(path.join(opts.dir, "network.json"), JSON.stringify(config, null, 2) + "\n");
    return config;
  } finally {
    provider.destroy();
  }
}

export function readNetworkConfig(dir: string): NetworkConfig {
  return JSON.parse(fs.readFileSync(path.join(dir, "network.json"), "utf8")) as NetworkConfig;
}
