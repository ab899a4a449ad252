import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type {
  ArgumentType,
  CallableContractFuture,
  ContractCallFuture,
  IgnitionModuleBuilder,
} from "@nomicfoundation/ignition-core";

import GameLibModule from "./GameLib";
import { buildNodeRegistryModule } from "./NodeRegistry";
import StakingModule from "./Staking";
import StepVerifierModule from "./StepVerifier";

type StakingModuleType = typeof StakingModule;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("RedundantManager", (m) => {
    const { token, staking } = m.useModule(stakingModule);
    const { nodeRegistry, modelRegistry } = m.useModule(buildNodeRegistryModule(stakingModule));
    const { verifier } = m.useModule(StepVerifierModule);
    const { gameLib } = m.useModule(GameLibModule);
    const governor = m.getParameter("governor", m.getAccount(0));
    // Economic parameters are required (no defaults).
    const params = {
      maxNodes: m.getParameter<number>("maxNodes"),
      collateralMultiplier: m.getParameter<number>("collateralMultiplier"),
      commitTimeout: m.getParameter<number>("commitTimeout"),
      moveClock: m.getParameter<number>("moveClock"),
      clockExtension: m.getParameter<number>("clockExtension"),
      rewardPpm: m.getParameter<number>("rewardPpm"),
    };
    // The refereed game is the linked library GameLib, shared with the DisputeManager; the settlement and the checks
    // of games over generations are RedundantLib, linked to GameLib too (both keep the manager under 24 kB).
    const redundantLib = m.library("RedundantLib", { libraries: { GameLib: gameLib } });
    const redundantManager = m.contract(
      "RedundantManager",
      [{ token, modelRegistry, nodeRegistry, staking, verifier }, governor, params],
      { libraries: { GameLib: gameLib, RedundantLib: redundantLib } },
    );
    return { redundantManager };
  });
}

/**
 * The RedundantManager (redundant requests and the refereed game between nodes) over the given Staking module's
 * token, Staking, the registries and the one-step verifier, with the game library GameLib (module `GameLib`) and its own RedundantLib linked. It holds no role by itself: Protocol.ts grants it, with
 * `grantRedundantRoles`, INFERENCE_ROLE and SLASHER_ROLE on Staking and SLASHER_ROLE on the NodeRegistry.
 *
 * Parameters (module `RedundantManager`; bounds enforced by the constructor):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE.
 * - `maxNodes` (required): 2 ..= 5 (`MAX_NODES`), the largest k of a request.
 * - `collateralMultiplier` (required): 1 ..= 1,000; a commitment locks fee x multiplier of stake.
 * - `commitTimeout` (required, seconds): 1 minute ..= 7 days, how long a request waits for its k commitments.
 * - `moveClock` (required, seconds): 5 minutes ..= 7 days, per node and game.
 * - `clockExtension` (required, seconds): 1 minute ..= 1 day.
 * - `rewardPpm` (required): 0 ..= 500,000, the winner's share of the loser's slash.
 */
export function buildRedundantModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

/**
 * Grants the RedundantManager INFERENCE_ROLE (lock and unlock the collateral of its commitments) and SLASHER_ROLE
 * (slash a game's loser) on Staking, and SLASHER_ROLE on the NodeRegistry (jail it). Sent by the deploying account,
 * which must hold DEFAULT_ADMIN_ROLE at that point.
 */
export function grantRedundantRoles(
  m: IgnitionModuleBuilder,
  targets: { staking: CallableContractFuture<string>; nodeRegistry: CallableContractFuture<string> },
  redundantManager: ArgumentType,
): ContractCallFuture<string, string>[] {
  const { staking, nodeRegistry } = targets;
  const inference = m.staticCall(staking, "INFERENCE_ROLE", [], 0, { id: "Staking_INFERENCE_ROLE_redundant" });
  const slasher = m.staticCall(staking, "SLASHER_ROLE", [], 0, { id: "Staking_SLASHER_ROLE_redundant" });
  const jailer = m.staticCall(nodeRegistry, "SLASHER_ROLE", [], 0, { id: "NodeRegistry_SLASHER_ROLE_redundant" });
  return [
    m.call(staking, "grantRole", [inference, redundantManager], { id: "Staking_grantInferenceRole_redundant" }),
    m.call(staking, "grantRole", [slasher, redundantManager], { id: "Staking_grantSlasherRole_redundant" }),
    m.call(nodeRegistry, "grantRole", [jailer, redundantManager], { id: "NodeRegistry_grantSlasherRole_redundant" }),
  ];
}

const RedundantModule = buildRedundantModule(StakingModule);

export default RedundantModule;
