import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * An ERC20 that already exists on the target chain, for deployments that stake a token Verity did not deploy.
 * Nothing is deployed: the module only names the contract so that Staking can be built on it.
 *
 * Parameters (module `ExistingToken`):
 * - `token` (required): the address of the ERC20 to stake.
 */
const ExistingTokenModule = buildModule("ExistingToken", (m) => {
  const address = m.getParameter<string>("token");
  const token = m.contractAt(
    "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol:IERC20Metadata",
    address,
    {
      id: "Token",
    },
  );
  return { token };
});

export default ExistingTokenModule;
