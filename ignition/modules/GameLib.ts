import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * `GameLib` (contracts/game/GameLib.sol), the bisection game that the DisputeManager and the RedundantManager both
 * play. Its external functions (the trace, anchor and layer-root checks, with their Merkle code) are deployed once
 * here and linked into both managers, which keeps that code out of their bytecode (the RedundantManager is near the
 * 24 kB limit). Stateless: no constructor arguments, no roles, no parameters.
 */
const GameLibModule = buildModule("GameLib", (m) => {
  const gameLib = m.library("GameLib");
  return { gameLib };
});

export default GameLibModule;
