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

/**
 * The gas of one call to `to` with `data`, sent as a transaction whose gas limit is `limit`: it succeeds only if the
 * call needs at most `limit` gas (what `estimateGas(...) <= limit` says), and its receipt gives the gas used. One
 * execution instead of estimateGas's binary search: the bound tests run proofs of up to 128 KiB near 5M gas, and each
 * execution costs the in-process node native memory that it keeps (the search made `npm test` peak near 20 GB).
 */
export async function gasWithin(to: string, data: string, limit: number): Promise<number> {
  const [sender] = await ethers.getSigners();
  const receipt = await (await sender.sendTransaction({ to, data, gasLimit: limit })).wait();
  return Number(receipt!.gasUsed);
}
