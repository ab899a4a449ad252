/**
 * Settlement of results in the verified modes (TEE, ZK): instead of `InferenceManager.commit` and a challenge
 * window, the node hands its result to the mode's settler contract with evidence (an enclave signature, a Groth16
 * proof), and the settler calls `InferenceManager.settleVerified`, final at once.
 *
 * The node daemon knows nothing of the evidence: a `VerifiedSettler` per mode builds it and sends the settler's
 * transaction. The TEE and ZK implementations live with their modes (modes/tee, modes/zk).
 */
import type { ContractTransactionResponse, Overrides } from "ethers";
import type { PartyView } from "../game/view";
import { VerificationModes } from "../protocol/constants";

/** IInferenceManager modes (contracts/libraries/VerificationModes.sol, protocol/constants.ts). */
export const MODE = VerificationModes;

/** True for the modes settled through a settler contract rather than `commit`. */
export function isVerifiedMode(mode: number): boolean {
  return mode === MODE.TEE || mode === MODE.ZK;
}

/** One result ready to settle: the request, its input (hex of S_0), the node's output (hex of S_L) and trace. */
export interface VerifiedResult {
  requestId: bigint;
  versionId: bigint;
  input: string;
  output: string;
  traceRoot: string;
  /**
   * The executor's full trace of this request (states, commitments), for evidence that needs it; absent for a
   * generation (docs/GENERATION.md), whose output is the response record and whose trace root is the generation root.
   */
  view?: PartyView;
}

export interface VerifiedSettler {
  /** The mode this settler serves (MODE.TEE or MODE.ZK). */
  readonly mode: number;
  /** For logs: "tee", "zk". */
  readonly name: string;
  /**
   * Sends the settler contract's settlement transaction for `result`. `overrides` carry the nonce and gas the
   * daemon manages: pass them to the contract call unchanged. Must not wait for the receipt.
   */
  settle(result: VerifiedResult, overrides: Overrides): Promise<ContractTransactionResponse>;
}
