import hre from "hardhat";

/** True inside `npm run coverage` (solidity-coverage marks the runtime environment). */
export const UNDER_COVERAGE =
  (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
