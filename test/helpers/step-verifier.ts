import { ethers } from "hardhat";

import { KERNEL_SETS } from "../../protocol/kernel-sets";
import type { CoreKernels, IntegerStepVerifier } from "../../typechain-types";

/** Deploys every kernel set (protocol/kernel-sets.ts) and the router over them, as the Ignition module does. */
export async function deployStepVerifier(): Promise<IntegerStepVerifier> {
  const sets: string[] = [];
  for (const name of KERNEL_SETS) sets.push(await (await ethers.deployContract(name)).getAddress());
  return (await ethers.deployContract("IntegerStepVerifier", [sets])) as unknown as IntegerStepVerifier;
}

/**
 * The router at `verifier`'s address seen through the ABI of the first kernel set: a step's revert comes from the
 * set (bubbled unchanged), so its errors (the proof checks', `Descriptor`'s, the kernels') decode with the set's ABI.
 */
export async function kernelErrors(verifier: IntegerStepVerifier): Promise<CoreKernels> {
  return (await ethers.getContractAt(KERNEL_SETS[0], await verifier.getAddress())) as unknown as CoreKernels;
}
