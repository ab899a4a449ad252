import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { ContractFuture, IgnitionModule } from "@nomicfoundation/ignition-core";

import VerityTokenModule from "./VerityToken";

/** Any module that yields the ERC20 to stake as `token`: VerityTokenModule or ExistingTokenModule. */
export type TokenModule = IgnitionModule<string, string, { token: ContractFuture<string> }>;

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

const cache = new Map<TokenModule, ReturnType<typeof build>>();

function build(tokenModule: TokenModule) {
  return buildModule("Staking", (m) => {
    const { token } = m.useModule(tokenModule);
    const governor = m.getParameter("governor", m.getAccount(0));
    // Economic parameters are required (no defaults), so that no chain silently gets a local value.
    const minimumStake = m.getParameter<bigint>("minimumStake");
    const thawingPeriod = m.getParameter<number>("thawingPeriod");
    const maxThawRequests = m.getParameter<number>("maxThawRequests");
    const treasury = m.getParameter("treasury", ZERO_ADDRESS);

    const staking = m.contract("Staking", [token, governor, minimumStake, thawingPeriod, maxThawRequests, treasury]);
    return { token, staking };
  });
}

/**
 * Staking on the token that `tokenModule` yields. Ignition modules are static graphs, so the token's origin is
 * chosen here, in code, not by a parameter; the module id is `Staking` either way, so its parameters read the same.
 *
 * Parameters (module `Staking`; bounds enforced by the constructor):
 * - `governor` (usually under `$global`; default: the deploying account): DEFAULT_ADMIN_ROLE + GOVERNOR_ROLE.
 * - `minimumStake` (required, wei): 1 ..= 1e9 tokens (`MIN_MINIMUM_STAKE`, `MAX_MINIMUM_STAKE`).
 * - `thawingPeriod` (required, seconds): 1 day ..= 365 days (`MIN_THAWING_PERIOD`, `MAX_THAWING_PERIOD`).
 * - `maxThawRequests` (required): 1 ..= 100 (`MAX_THAW_REQUESTS_CAP`).
 * - `treasury` (default: the zero address, which burns the non-reward part of a slash).
 */
export function buildStakingModule(tokenModule: TokenModule) {
  let module = cache.get(tokenModule);
  if (module === undefined) {
    module = build(tokenModule);
    cache.set(tokenModule, module);
  }
  return module;
}

/** Staking on a freshly deployed VerityToken. */
const StakingModule = buildStakingModule(VerityTokenModule);

export default StakingModule;
