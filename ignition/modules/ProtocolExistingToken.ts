import ExistingTokenModule from "./ExistingToken";
import { buildProtocolModule } from "./Protocol";

/**
 * The protocol on an ERC20 that already exists (parameter `ExistingToken.token`); no VerityToken is deployed.
 * Same module ids and parameters as `Protocol.ts` otherwise. See docs/DEPLOYER.md.
 */
const ProtocolExistingTokenModule = buildProtocolModule({ token: ExistingTokenModule });

export default ProtocolExistingTokenModule;
