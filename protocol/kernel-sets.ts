/**
 * The kernel sets of the one-step verifier (contracts/verifier/sets/), in the order the router
 * (`IntegerStepVerifier`) asks them: commonly disputed ones first. The one list that the Ignition module, the test
 * helpers and the deploy scripts read; a new set is one line here (docs/ARCHITECTURE.md, "Adding an operator").
 */
export const KERNEL_SETS = ["CoreKernels"] as const;

export type KernelSetName = (typeof KERNEL_SETS)[number];
