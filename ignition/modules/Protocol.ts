import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ArgumentType, CallableContractFuture, IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

import { buildNodeRegistryModule } from "./NodeRegistry";
import { buildStakingModule, type TokenModule } from "./Staking";
import VerityTokenModule from "./VerityToken";

/**
 * The Verity protocol: token, Staking, ModelRegistry and NodeRegistry, with their roles wired.
 *
 * The governor (`$global.governor`, default: the deploying account) receives DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE
 * on every contract (and MINTER_ROLE on a deployed VerityToken) through the constructors. Nobody receives
 * SLASHER_ROLE or INFERENCE_ROLE unless a variant asks for it: those belong to the dispute and inference managers.
 *
 * Ignition modules are static graphs: a parameter cannot switch a future on or off. Each choice that changes the
 * graph is therefore an option of `buildProtocolModule`, and each variant an entry file:
 * - `Protocol.ts` (this file): deploys VerityToken; no manager roles.
 * - `ProtocolExistingToken.ts`: stakes an existing ERC20 (`ExistingToken.token`).
 * - `ProtocolWithManagers.ts`: also grants SLASHER_ROLE to `Protocol.slasher` and INFERENCE_ROLE to
 *   `Protocol.inferenceManager` (both required there).
 * Every variant has the module id `Protocol` and the same submodule ids, so one parameter file serves them all, and
 * a deployment made with `Protocol.ts` can later be extended with `ProtocolWithManagers.ts` under the same
 * deployment id (Ignition then only sends the new grant calls).
 */
export interface ProtocolOptions {
  /** Where the staked ERC20 comes from. Default: a new VerityToken. */
  token?: TokenModule;
  /** Grant SLASHER_ROLE on Staking and NodeRegistry to the required parameter `Protocol.slasher`. */
  slasher?: boolean;
  /** Grant INFERENCE_ROLE on Staking to the required parameter `Protocol.inferenceManager`. */
  inferenceManager?: boolean;
}

/** The contracts whose roles a manager needs. */
export interface RoleTargets {
  staking: CallableContractFuture<string>;
  nodeRegistry: CallableContractFuture<string>;
}

/**
 * Grants the slasher (the dispute manager, in a later release) SLASHER_ROLE on Staking (slash) and on NodeRegistry
 * (jail). `slasher` may be an address, a parameter, or a contract future of the same deployment. The calls are sent
 * by the deploying account, which must hold DEFAULT_ADMIN_ROLE (i.e. be the governor) at that point.
 */
export function grantSlasherRole(m: IgnitionModuleBuilder, targets: RoleTargets, slasher: ArgumentType): void {
  const stakingRole = m.staticCall(targets.staking, "SLASHER_ROLE", [], 0, { id: "Staking_SLASHER_ROLE" });
  m.call(targets.staking, "grantRole", [stakingRole, slasher], { id: "Staking_grantSlasherRole" });
  const registryRole = m.staticCall(targets.nodeRegistry, "SLASHER_ROLE", [], 0, { id: "NodeRegistry_SLASHER_ROLE" });
  m.call(targets.nodeRegistry, "grantRole", [registryRole, slasher], { id: "NodeRegistry_grantSlasherRole" });
}

/** Grants the inference manager INFERENCE_ROLE on Staking (lock/unlock collateral). Same sender rule as above. */
export function grantInferenceRole(
  m: IgnitionModuleBuilder,
  targets: RoleTargets,
  inferenceManager: ArgumentType,
): void {
  const role = m.staticCall(targets.staking, "INFERENCE_ROLE", [], 0, { id: "Staking_INFERENCE_ROLE" });
  m.call(targets.staking, "grantRole", [role, inferenceManager], { id: "Staking_grantInferenceRole" });
}

export function buildProtocolModule(options: ProtocolOptions = {}) {
  const stakingModule = buildStakingModule(options.token ?? VerityTokenModule);
  const nodeRegistryModule = buildNodeRegistryModule(stakingModule);

  return buildModule("Protocol", (m) => {
    const { token, staking } = m.useModule(stakingModule);
    const { modelRegistry, nodeRegistry } = m.useModule(nodeRegistryModule);

    if (options.slasher === true) {
      grantSlasherRole(m, { staking, nodeRegistry }, m.getParameter<string>("slasher"));
    }
    if (options.inferenceManager === true) {
      grantInferenceRole(m, { staking, nodeRegistry }, m.getParameter<string>("inferenceManager"));
    }

    return { token, staking, modelRegistry, nodeRegistry };
  });
}

const ProtocolModule = buildProtocolModule();

export default ProtocolModule;
