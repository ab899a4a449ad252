import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { VerificationModes } from "../../protocol/constants";
import { buildInferenceManagerModule } from "./InferenceManager";
import StakingModule from "./Staking";

type StakingModuleType = typeof StakingModule;

/** VerificationModes.ZK */
export const MODE_ZK = VerificationModes.ZK;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("Zk", (m) => {
    const { inferenceManager, modelRegistry } = m.useModule(buildInferenceManagerModule(stakingModule));
    const governor = m.getParameter("governor", m.getAccount(0));
    const zkSettler = m.contract("ZkSettler", [inferenceManager, modelRegistry, governor]);
    // Sent by the deploying account, which must hold GOVERNOR_ROLE on the InferenceManager at this point.
    m.call(inferenceManager, "setModeSettler", [MODE_ZK, zkSettler], { id: "InferenceManager_setZkSettler" });
    return { zkSettler };
  });
}

/**
 * ZK mode: the ZkSettler (Groth16 proofs checked by per-version verifiers, docs/ZK.md), set as the InferenceManager's
 * settler for VerificationModes.ZK. Verifiers are registered later, per model version, by each model's owner
 * (`verity model zk-setup` then `registerVerifier`).
 *
 * Parameters (module `Zk`): `governor` (usually under `$global`; default: the deploying account) receives
 * DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE (revokes verifiers). The deploying account sends `setModeSettler`, so it must
 * govern the InferenceManager when this module runs.
 */
export function buildZkModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

const ZkModule = buildZkModule(StakingModule);

export default ZkModule;
