import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import ModelRegistryModule from "./ModelRegistry";
import StakingModule from "./Staking";

type StakingModuleType = typeof StakingModule;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("NodeRegistry", (m) => {
    const { staking } = m.useModule(stakingModule);
    const { modelRegistry } = m.useModule(ModelRegistryModule);
    const governor = m.getParameter("governor", m.getAccount(0));

    const nodeRegistry = m.contract("NodeRegistry", [staking, modelRegistry, governor]);
    return { nodeRegistry, staking, modelRegistry };
  });
}

/**
 * The node registry over the given Staking module and the ModelRegistry.
 *
 * Parameters (module `NodeRegistry`):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE.
 */
export function buildNodeRegistryModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

const NodeRegistryModule = buildNodeRegistryModule(StakingModule);

export default NodeRegistryModule;
