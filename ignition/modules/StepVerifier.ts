import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { KERNEL_SETS } from "../../protocol/kernel-sets";

/**
 * The one-step verifier of the dispute game: the kernel sets (contracts/verifier/sets/, the Solidity kernels of
 * docs/NUMERICS.md, one family per group of operators) and the router `IntegerStepVerifier` that forwards each step
 * to the set serving its op. Stateless: no roles, no linked libraries (the kernels are internal to their set), no
 * parameters.
 */
const StepVerifierModule = buildModule("StepVerifier", (m) => {
  const sets = KERNEL_SETS.map((name) => m.contract(name));
  const verifier = m.contract("IntegerStepVerifier", [sets]);
  return { verifier };
});

export default StepVerifierModule;
