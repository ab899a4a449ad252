import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  ArgumentType,
  CallableContractFuture,
  ContractCallFuture,
  Future,
  IgnitionModuleBuilder,
} from "@nomicfoundation/ignition-core";

import { VerificationModes } from "../../protocol/constants";
import { buildDisputeManagerModule } from "./DisputeManager";
import { buildInferenceManagerModule } from "./InferenceManager";
import { buildNodeRegistryModule } from "./NodeRegistry";
import { buildRedundantModule, grantRedundantRoles } from "./Redundant";
import { buildStakingModule, type TokenModule } from "./Staking";
import { buildTeeModule } from "./Tee";
import VerityTokenModule from "./VerityToken";
import { buildZkModule } from "./Zk";

/**
 * The whole Verity protocol: token, Staking, ModelRegistry, NodeRegistry, InferenceManager (with its linked
 * InferenceLib), the one-step verifier (IntegerStepVerifier), the game library (GameLib, linked into both games),
 * DisputeManager and RedundantManager, with every role wired:
 * - Staking.INFERENCE_ROLE and SLASHER_ROLE -> InferenceManager (locks and unlocks collateral; slashes the penalty
 *   of a claim its node abandoned, see IInferenceManager.reopen);
 * - Staking.SLASHER_ROLE and NodeRegistry.SLASHER_ROLE -> DisputeManager (slashes and jails a node proven wrong);
 * - InferenceManager.DISPUTE_ROLE -> DisputeManager (freezes and resolves a disputed commitment);
 * - Staking.INFERENCE_ROLE and SLASHER_ROLE, NodeRegistry.SLASHER_ROLE -> RedundantManager (redundant requests:
 *   locks its commitments' collateral, slashes and jails the loser of a refereed game);
 * - TEE mode (Tee.ts): InferenceManager.setModeSettler(TEE, TeeSettler), and Staking.SLASHER_ROLE and
 *   NodeRegistry.SLASHER_ROLE -> TeeSettler (slashes and jails an equivocating enclave's node).
 * - InferenceManager mode settler for ZK -> ZkSettler (Zk.ts: Groth16-verified results, final at once).
 *
 * The governor (`$global.governor`, default: the deploying account) receives DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE
 * on every contract (and MINTER_ROLE on a deployed VerityToken) through the constructors. The wiring calls (and the
 * InferenceManager's parameter setters) are sent by the deploying account, so it must be the governor: a
 * `$global.governor` other than the deployer makes the deployment fail at the first of them. To end with another
 * governor (a multisig), use the hand-over variant: the deployer governs during the deployment, then grants every
 * admin role to `Protocol.governor` and renounces its own, in the same deployment.
 *
 * Ignition modules are static graphs: a parameter cannot switch a future on or off. Each choice that changes the
 * graph is therefore an option of `buildProtocolModule`, and each variant an entry file:
 * - `Protocol.ts` (this file): deploys VerityToken; the deployer is the governor.
 * - `ProtocolExistingToken.ts`: stakes an existing ERC20 (`ExistingToken.token`); the deployer is the governor.
 * - `ProtocolExistingTokenHandOver.ts`: an existing ERC20, and the deployer hands every admin role over to
 *   `Protocol.governor` at the end (the entry point for a real chain).
 * Every variant has the module id `Protocol` and the same submodule ids, so one parameter file serves them all.
 */
export interface ProtocolOptions {
  /** Where the staked ERC20 comes from. Default: a new VerityToken. */
  token?: TokenModule;
  /**
   * Hand the protocol over to the required parameter `Protocol.governor` once it is wired: grant it
   * DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE on every contract (DEFAULT_ADMIN_ROLE and MINTER_ROLE on a deployed
   * VerityToken), then renounce the deploying account's. `$global.governor` must then be unset (the deployer).
   */
  handOver?: boolean;
}

/** The contracts whose roles a manager needs. */
export interface RoleTargets {
  staking: CallableContractFuture<string>;
  nodeRegistry: CallableContractFuture<string>;
}

/**
 * Grants the slasher (the DisputeManager) SLASHER_ROLE on Staking (slash) and on NodeRegistry (jail). `slasher` may
 * be an address, a parameter, or a contract future of the same deployment. The calls are sent by the deploying
 * account, which must hold DEFAULT_ADMIN_ROLE (i.e. be the governor) at that point.
 */
export function grantSlasherRole(
  m: IgnitionModuleBuilder,
  targets: RoleTargets,
  slasher: ArgumentType,
): ContractCallFuture<string, string>[] {
  const stakingRole = m.staticCall(targets.staking, "SLASHER_ROLE", [], 0, { id: "Staking_SLASHER_ROLE" });
  const onStaking = m.call(targets.staking, "grantRole", [stakingRole, slasher], { id: "Staking_grantSlasherRole" });
  const registryRole = m.staticCall(targets.nodeRegistry, "SLASHER_ROLE", [], 0, { id: "NodeRegistry_SLASHER_ROLE" });
  const onRegistry = m.call(targets.nodeRegistry, "grantRole", [registryRole, slasher], {
    id: "NodeRegistry_grantSlasherRole",
  });
  return [onStaking, onRegistry];
}

/**
 * Grants the inference manager INFERENCE_ROLE (lock/unlock collateral) and SLASHER_ROLE (the penalty of an abandoned
 * claim: one fee, see IInferenceManager.reopen) on Staking. Same sender rule as above.
 */
export function grantInferenceRole(
  m: IgnitionModuleBuilder,
  targets: RoleTargets,
  inferenceManager: ArgumentType,
): ContractCallFuture<string, string>[] {
  const role = m.staticCall(targets.staking, "INFERENCE_ROLE", [], 0, { id: "Staking_INFERENCE_ROLE" });
  const slasher = m.staticCall(targets.staking, "SLASHER_ROLE", [], 0, { id: "Staking_SLASHER_ROLE_inference" });
  return [
    m.call(targets.staking, "grantRole", [role, inferenceManager], { id: "Staking_grantInferenceRole" }),
    m.call(targets.staking, "grantRole", [slasher, inferenceManager], { id: "Staking_grantInferenceSlasherRole" }),
  ];
}

/** Grants the dispute manager DISPUTE_ROLE on the InferenceManager (begin/end disputes). Same sender rule. */
export function grantDisputeRole(
  m: IgnitionModuleBuilder,
  inferenceManager: CallableContractFuture<string>,
  disputeManager: ArgumentType,
): ContractCallFuture<string, string>[] {
  const role = m.staticCall(inferenceManager, "DISPUTE_ROLE", [], 0, { id: "InferenceManager_DISPUTE_ROLE" });
  return [m.call(inferenceManager, "grantRole", [role, disputeManager], { id: "InferenceManager_grantDisputeRole" })];
}

/**
 * TEE mode: makes `teeSettler` the InferenceManager's settler for mode TEE (4) and grants it SLASHER_ROLE on Staking
 * (slash) and on NodeRegistry (jail) for equivocation. Same sender rule as above.
 */
export function wireTeeSettler(
  m: IgnitionModuleBuilder,
  targets: RoleTargets,
  inferenceManager: CallableContractFuture<string>,
  teeSettler: ArgumentType,
): ContractCallFuture<string, string>[] {
  const setSettler = m.call(inferenceManager, "setModeSettler", [VerificationModes.TEE, teeSettler], {
    id: "InferenceManager_setTeeSettler",
  });
  const role = m.staticCall(targets.staking, "SLASHER_ROLE", [], 0, { id: "Staking_SLASHER_ROLE_tee" });
  const grant = m.call(targets.staking, "grantRole", [role, teeSettler], { id: "Staking_grantTeeSlasherRole" });
  const registryRole = m.staticCall(targets.nodeRegistry, "SLASHER_ROLE", [], 0, {
    id: "NodeRegistry_SLASHER_ROLE_tee",
  });
  const onRegistry = m.call(targets.nodeRegistry, "grantRole", [registryRole, teeSettler], {
    id: "NodeRegistry_grantTeeSlasherRole",
  });
  return [setSettler, grant, onRegistry];
}

const DEFAULT_ADMIN_ROLE = "0x0000000000000000000000000000000000000000000000000000000000000000";

export function buildProtocolModule(options: ProtocolOptions = {}) {
  const ownsToken = options.token === undefined || options.token === VerityTokenModule;
  const stakingModule = buildStakingModule(options.token ?? VerityTokenModule);
  const nodeRegistryModule = buildNodeRegistryModule(stakingModule);
  const inferenceManagerModule = buildInferenceManagerModule(stakingModule);
  const disputeManagerModule = buildDisputeManagerModule(stakingModule);
  const redundantModule = buildRedundantModule(stakingModule);
  const teeModule = buildTeeModule(stakingModule);
  const zkModule = buildZkModule(stakingModule);

  return buildModule("Protocol", (m) => {
    const { token, staking } = m.useModule(stakingModule);
    const { modelRegistry, nodeRegistry } = m.useModule(nodeRegistryModule);
    const { inferenceManager, inferenceLib } = m.useModule(inferenceManagerModule);
    const { disputeManager, verifier, gameLib } = m.useModule(disputeManagerModule);
    const { redundantManager } = m.useModule(redundantModule);
    const { teeSettler, attestationVerifier } = m.useModule(teeModule);
    const { zkSettler } = m.useModule(zkModule); // ZK mode's settler, set on the InferenceManager by the module

    const wiring: Future[] = [
      ...grantInferenceRole(m, { staking, nodeRegistry }, inferenceManager),
      ...grantSlasherRole(m, { staking, nodeRegistry }, disputeManager),
      ...grantDisputeRole(m, inferenceManager, disputeManager),
      ...grantRedundantRoles(m, { staking, nodeRegistry }, redundantManager),
      ...wireTeeSettler(m, { staking, nodeRegistry }, inferenceManager, teeSettler),
    ];

    if (options.handOver === true) {
      const governor = m.getParameter<string>("governor");
      const deployer = m.getAccount(0);
      // Every admin-role holder of the deployment: (contract future, id prefix, roles beyond DEFAULT_ADMIN_ROLE).
      const governed: [CallableContractFuture<string>, string, string][] = [
        [staking, "Staking", "GOVERNOR_ROLE"],
        [nodeRegistry, "NodeRegistry", "GOVERNOR_ROLE"],
        [inferenceManager, "InferenceManager", "GOVERNOR_ROLE"],
        [disputeManager, "DisputeManager", "GOVERNOR_ROLE"],
        [redundantManager, "RedundantManager", "GOVERNOR_ROLE"],
        [teeSettler, "TeeSettler", "GOVERNOR_ROLE"],
        [attestationVerifier, "EcdsaAttestationVerifier", "GOVERNOR_ROLE"],
        [zkSettler, "ZkSettler", "GOVERNOR_ROLE"],
      ];
      if (ownsToken) governed.push([token as CallableContractFuture<string>, "VerityToken", "MINTER_ROLE"]);
      const grants: Future[] = [];
      for (const [contract, name, roleName] of governed) {
        const role = m.staticCall(contract, roleName, [], 0, { id: `${name}_${roleName}_handOver` });
        grants.push(
          m.call(contract, "grantRole", [role, governor], { id: `${name}_grant${roleName}`, after: wiring }),
          m.call(contract, "grantRole", [DEFAULT_ADMIN_ROLE, governor], { id: `${name}_grantAdmin`, after: wiring }),
        );
      }
      // The deployer renounces only once the governor holds everything (so a failed grant leaves it in control).
      for (const [contract, name, roleName] of governed) {
        const role = m.staticCall(contract, roleName, [], 0, { id: `${name}_${roleName}_renounce` });
        const renounced = m.call(contract, "renounceRole", [role, deployer], {
          id: `${name}_renounce${roleName}`,
          after: grants,
        });
        m.call(contract, "renounceRole", [DEFAULT_ADMIN_ROLE, deployer], {
          id: `${name}_renounceAdmin`,
          after: [...grants, renounced],
        });
      }
    }

    return {
      token,
      staking,
      modelRegistry,
      nodeRegistry,
      inferenceManager,
      inferenceLib,
      verifier,
      gameLib,
      disputeManager,
      redundantManager,
      teeSettler,
      attestationVerifier,
      zkSettler,
    };
  });
}

const ProtocolModule = buildProtocolModule();

export default ProtocolModule;
