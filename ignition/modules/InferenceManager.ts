import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildNodeRegistryModule } from "./NodeRegistry";
import StakingModule from "./Staking";

type StakingModuleType = typeof StakingModule;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("InferenceManager", (m) => {
    const { staking, modelRegistry, nodeRegistry } = m.useModule(buildNodeRegistryModule(stakingModule));
    const governor = m.getParameter("governor", m.getAccount(0));
    // Economic parameters are required (no defaults), as for Staking: no chain silently gets a local value.
    const challengeWindow = m.getParameter<number>("challengeWindow");
    const requestTimeout = m.getParameter<number>("requestTimeout");
    const collateralMultiplier = m.getParameter<number>("collateralMultiplier");
    const maxCallbackGas = m.getParameter<number>("maxCallbackGas");
    const serveTimeout = m.getParameter<number>("serveTimeout");

    // InferenceManager links the external library InferenceLib (batch loops and cold paths, kept out of the
    // manager's bytecode to stay under the 24 KiB limit).
    const inferenceLib = m.library("InferenceLib");
    const inferenceManager = m.contract("InferenceManager", [staking, modelRegistry, nodeRegistry, governor], {
      libraries: { InferenceLib: inferenceLib },
    });

    // The constructor starts from built-in defaults; the parameter file's values are applied through the bounded
    // governor setters, sent by the deploying account (which must hold GOVERNOR_ROLE, i.e. be the governor).
    m.call(inferenceManager, "setChallengeWindow", [challengeWindow]);
    m.call(inferenceManager, "setRequestTimeout", [requestTimeout]);
    m.call(inferenceManager, "setCollateralMultiplier", [collateralMultiplier]);
    m.call(inferenceManager, "setMaxCallbackGas", [maxCallbackGas]);
    m.call(inferenceManager, "setServeTimeout", [serveTimeout]);

    return { inferenceManager, inferenceLib, staking, modelRegistry, nodeRegistry };
  });
}

/**
 * The InferenceManager (requests, commitments, batches, settlement) over the given Staking module, with its
 * external library InferenceLib deployed and linked.
 *
 * Parameters (module `InferenceManager`; bounds enforced by the setters):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE. The
 *   deploying account sends the five setter calls below, so it must be the governor when this module runs.
 * - `challengeWindow` (required, seconds): 10 seconds ..= 7 days (`MIN_CHALLENGE_WINDOW`, `MAX_CHALLENGE_WINDOW`); seconds
 *   only on local chains (ignition/parameters/anvil.json), hours on a real one.
 * - `requestTimeout` (required, seconds): 1 minute ..= 7 days (`MIN_REQUEST_TIMEOUT`, `MAX_REQUEST_TIMEOUT`).
 * - `collateralMultiplier` (required): 1 ..= 100; a commitment locks fee × multiplier of the node's stake.
 * - `maxCallbackGas` (required): 10,000 ..= 5,000,000 (`MIN_MAX_CALLBACK_GAS`, `MAX_MAX_CALLBACK_GAS`).
 * - `serveTimeout` (required, seconds): 30 seconds ..= 1 day (`MIN_SERVE_TIMEOUT`, `MAX_SERVE_TIMEOUT`): how long a
 *   claim holds an open request before anyone may reopen it (the claimant then pays one fee of stake).
 *
 * Staking.SLASHER_ROLE for the manager (abandoned claims' penalties) is granted by Protocol.ts with INFERENCE_ROLE.
 */
export function buildInferenceManagerModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

const InferenceManagerModule = buildInferenceManagerModule(StakingModule);

export default InferenceManagerModule;
