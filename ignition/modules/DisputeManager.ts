import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GameLibModule from "./GameLib";
import { buildInferenceManagerModule } from "./InferenceManager";
import StakingModule from "./Staking";
import StepVerifierModule from "./StepVerifier";

type StakingModuleType = typeof StakingModule;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("DisputeManager", (m) => {
    const { token } = m.useModule(stakingModule);
    const { inferenceManager, staking, modelRegistry, nodeRegistry } = m.useModule(
      buildInferenceManagerModule(stakingModule),
    );
    const { verifier } = m.useModule(StepVerifierModule);
    const { gameLib } = m.useModule(GameLibModule);
    const governor = m.getParameter("governor", m.getAccount(0));
    // Economic parameters are required (no defaults).
    const bond = m.getParameter<bigint>("bond");
    const moveClock = m.getParameter<number>("moveClock");
    const clockExtension = m.getParameter<number>("clockExtension");
    const rewardPpm = m.getParameter<number>("rewardPpm");

    // The game itself is the linked library GameLib, shared with the RedundantManager.
    const disputeManager = m.contract(
      "DisputeManager",
      [
        {
          token,
          inference: inferenceManager,
          modelRegistry,
          nodeRegistry,
          staking,
          verifier,
        },
        governor,
        bond,
        moveClock,
        clockExtension,
        rewardPpm,
      ],
      { libraries: { GameLib: gameLib } },
    );
    return { disputeManager, verifier, gameLib, inferenceManager };
  });
}

/**
 * The DisputeManager (the verification game) over the given Staking module's token, Staking, the registries, the
 * InferenceManager and the one-step verifier, with the game library GameLib (module `GameLib`) linked. It holds no role by itself: Protocol.ts grants it SLASHER_ROLE on
 * Staking and NodeRegistry and DISPUTE_ROLE on the InferenceManager.
 *
 * Parameters (module `DisputeManager`; bounds enforced by the constructor):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE.
 * - `bond` (required, wei): 1 wei ..= 1e9 tokens (`MIN_BOND`, `MAX_BOND`), posted by each challenger.
 * - `moveClock` (required, seconds): 5 minutes ..= 7 days (`MIN_MOVE_CLOCK`, `MAX_MOVE_CLOCK`), per side.
 * - `clockExtension` (required, seconds): 1 minute ..= 1 day (`MIN_CLOCK_EXTENSION`, `MAX_CLOCK_EXTENSION`).
 * - `rewardPpm` (required): 0 ..= 500,000 (`MAX_REWARD_PPM`), the challenger's share of a slash.
 */
export function buildDisputeManagerModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

const DisputeManagerModule = buildDisputeManagerModule(StakingModule);

export default DisputeManagerModule;
