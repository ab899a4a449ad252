import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The protocol token (ERC20 + EIP-2612 permit + burnable), for local and test deployments.
 *
 * Parameters (module `VerityToken`):
 * - `governor` (usually set once under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + MINTER_ROLE.
 * - `initialHolder` (default: the deploying account): receives the initial supply.
 * - `initialSupply` (default 0): in wei (18 decimals). In JSON, write big numbers as strings ending in `n`.
 */
const VerityTokenModule = buildModule("VerityToken", (m) => {
  const governor = m.getParameter("governor", m.getAccount(0));
  const initialHolder = m.getParameter("initialHolder", m.getAccount(0));
  const initialSupply = m.getParameter("initialSupply", 0n);

  const token = m.contract("VerityToken", [governor, initialHolder, initialSupply]);
  return { token };
});

export default VerityTokenModule;
