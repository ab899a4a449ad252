import { buildProtocolModule } from "./Protocol";

/**
 * `Protocol.ts` plus the manager roles: SLASHER_ROLE on Staking and NodeRegistry to `Protocol.slasher`, and
 * INFERENCE_ROLE on Staking to `Protocol.inferenceManager` (both parameters required). The grants are sent by the
 * deploying account, so it must be the governor. See docs/DEPLOYER.md.
 */
const ProtocolWithManagersModule = buildProtocolModule({ slasher: true, inferenceManager: true });

export default ProtocolWithManagersModule;
