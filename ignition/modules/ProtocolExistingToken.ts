import ExistingTokenModule from "./ExistingToken";
import { buildProtocolModule } from "./Protocol";

/**
 * The whole protocol on an ERC20 that already exists (parameter `ExistingToken.token`); no VerityToken is deployed.
 * Same module ids, parameters and role wiring as `Protocol.ts` otherwise; the deployer is the governor. See
 * docs/DEPLOYER.md.
 */
const ProtocolExistingTokenModule = buildProtocolModule({ token: ExistingTokenModule });

export default ProtocolExistingTokenModule;
