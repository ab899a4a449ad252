import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The one-step verifier of the dispute game: `IntegerStepVerifier`, the Solidity kernels of docs/NUMERICS.md
 * (one per operator the executor supports). Stateless: no constructor arguments, no roles, no linked libraries
 * (its kernels are internal), no parameters.
 */
const StepVerifierModule = buildModule("StepVerifier", (m) => {
  const verifier = m.contract("IntegerStepVerifier");
  return { verifier };
});

export default StepVerifierModule;
