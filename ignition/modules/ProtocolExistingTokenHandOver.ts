import ExistingTokenModule from "./ExistingToken";
import { buildProtocolModule } from "./Protocol";

/**
 * The entry point for a real chain: the whole protocol on an existing ERC20 (`ExistingToken.token`), wired by the
 * deploying account, which then grants DEFAULT_ADMIN_ROLE and GOVERNOR_ROLE on every contract to the required
 * parameter `Protocol.governor` (a multisig, say) and renounces its own. Leave `$global.governor` unset. See
 * docs/DEPLOYER.md.
 */
const ProtocolExistingTokenHandOverModule = buildProtocolModule({ token: ExistingTokenModule, handOver: true });

export default ProtocolExistingTokenHandOverModule;
