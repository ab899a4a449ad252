/**
 * The protocol's contracts as typed ethers objects: the one place that knows the TypeChain factories (and so the
 * ABIs) of contracts/. `attach` gives any of them at an address; `attachProtocol` the core set of a deployment.
 */
import type { ContractRunner, InterfaceAbi } from "ethers";

import {
  Descriptor__factory,
  DisputeManager__factory,
  EcdsaAttestationVerifier__factory,
  GameLib__factory,
  InferenceLib__factory,
  InferenceManager__factory,
  IntegerStepVerifier__factory,
  MerkleLib__factory,
  ModelRegistry__factory,
  NodeRegistry__factory,
  PPMMath__factory,
  RedundantManager__factory,
  Staking__factory,
  TeeSettler__factory,
  VerityToken__factory,
  ZkSettler__factory,
  type DisputeManager,
  type InferenceManager,
  type ModelRegistry,
  type NodeRegistry,
  type Staking,
  type VerityToken,
} from "../typechain-types";
import type { ProtocolAddresses } from "./deployment";

/** Every contract of contracts/ (mocks and examples aside) that has an ABI, by name: its TypeChain factory. */
export const FACTORIES = {
  VerityToken: VerityToken__factory,
  Staking: Staking__factory,
  ModelRegistry: ModelRegistry__factory,
  NodeRegistry: NodeRegistry__factory,
  InferenceManager: InferenceManager__factory,
  InferenceLib: InferenceLib__factory,
  DisputeManager: DisputeManager__factory,
  GameLib: GameLib__factory,
  RedundantManager: RedundantManager__factory,
  IntegerStepVerifier: IntegerStepVerifier__factory,
  TeeSettler: TeeSettler__factory,
  EcdsaAttestationVerifier: EcdsaAttestationVerifier__factory,
  ZkSettler: ZkSettler__factory,
  // Libraries whose ABIs hold only their errors, which the contracts above revert with.
  Descriptor: Descriptor__factory,
  MerkleLib: MerkleLib__factory,
  PPMMath: PPMMath__factory,
} as const;

export type ContractName = keyof typeof FACTORIES;

/** The typed contract `name` (`Staking`, `TeeSettler`, ...), as its TypeChain factory connects it. */
export type ContractOf<N extends ContractName> = ReturnType<(typeof FACTORIES)[N]["connect"]>;

/** Contract `name` at `address`, sending through `runner` (a signer) or only reading (a provider). */
export function attach<N extends ContractName>(name: N, address: string, runner: ContractRunner | null): ContractOf<N> {
  const factory: { connect(address: string, runner?: ContractRunner | null): unknown } = FACTORIES[name];
  return factory.connect(address, runner) as ContractOf<N>;
}

/** The contracts every deployment has (protocol/deployment.ts `REQUIRED_CONTRACTS`). */
export interface ProtocolContracts {
  token: VerityToken;
  staking: Staking;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
  inferenceManager: InferenceManager;
  disputeManager: DisputeManager;
}

/** The core contracts of a deployment, attached to `runner`. The token may be any ERC20 (typed as VerityToken). */
export function attachProtocol(addresses: ProtocolAddresses, runner: ContractRunner | null): ProtocolContracts {
  return {
    token: attach("VerityToken", addresses.token, runner),
    staking: attach("Staking", addresses.staking, runner),
    modelRegistry: attach("ModelRegistry", addresses.modelRegistry, runner),
    nodeRegistry: attach("NodeRegistry", addresses.nodeRegistry, runner),
    inferenceManager: attach("InferenceManager", addresses.inferenceManager, runner),
    disputeManager: attach("DisputeManager", addresses.disputeManager, runner),
  };
}

/** The ABI of every protocol contract, in FACTORIES order. */
export function protocolAbis(): InterfaceAbi[] {
  return Object.values(FACTORIES).map((f) => f.abi);
}
