import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { buildInferenceManagerModule } from "./InferenceManager";
import StakingModule from "./Staking";

type StakingModuleType = typeof StakingModule;

const cache = new Map<StakingModuleType, ReturnType<typeof build>>();

function build(stakingModule: StakingModuleType) {
  return buildModule("Tee", (m) => {
    const { inferenceManager, staking, nodeRegistry } = m.useModule(buildInferenceManagerModule(stakingModule));
    const governor = m.getParameter("governor", m.getAccount(0));
    // Economic parameters are required (no defaults), as for the other managers.
    const equivocationSlash = m.getParameter<bigint>("equivocationSlash");
    const equivocationRewardPpm = m.getParameter<number>("equivocationRewardPpm");

    const attestationVerifier = m.contract("EcdsaAttestationVerifier", [governor]);
    const teeSettler = m.contract("TeeSettler", [
      inferenceManager,
      staking,
      nodeRegistry,
      attestationVerifier,
      governor,
      equivocationSlash,
      equivocationRewardPpm,
    ]);
    return { teeSettler, attestationVerifier };
  });
}

/**
 * The TEE verification mode: the reference attestation verifier (EcdsaAttestationVerifier, which STANDS IN FOR A
 * HARDWARE VENDOR'S ATTESTATION CHAIN, see docs/TEE.md) and the TeeSettler over the given Staking module's
 * InferenceManager, Staking and NodeRegistry. It holds no role by itself: Protocol.ts makes it the InferenceManager's
 * TEE settler and grants it SLASHER_ROLE on Staking and on the NodeRegistry (an equivocating node is slashed and
 * jailed).
 *
 * Approving measurements and registering attestation-service keys are governance calls made after the deployment
 * (`verity tee approve-measurement`, `verity tee add-service-key`): which enclave builds to trust is an operational
 * decision, not a deployment constant.
 *
 * Parameters (module `Tee`; bounds enforced by the constructor):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE on
 *   both contracts.
 * - `equivocationSlash` (required, wei): 1 wei ..= 1e9 tokens (`MIN_EQUIVOCATION_SLASH`, `MAX_EQUIVOCATION_SLASH`),
 *   slashed per punished equivocation (capped at the node's stake). Default files: the minimum stake.
 * - `equivocationRewardPpm` (required): 0 ..= 500,000 (`MAX_REWARD_PPM`), the reporter's share of that slash.
 */
export function buildTeeModule(stakingModule: StakingModuleType) {
  let module = cache.get(stakingModule);
  if (module === undefined) {
    module = build(stakingModule);
    cache.set(stakingModule, module);
  }
  return module;
}

const TeeModule = buildTeeModule(StakingModule);

export default TeeModule;
