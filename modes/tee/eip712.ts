/**
 * The EIP-712 types of the TEE mode, shared by the executor, the CLI, the tests and the bench:
 * - `Attestation(bytes32 measurement,address enclaveKey,address node,uint64 expiry)`, signed by an attestation-service
 *   key for the reference `EcdsaAttestationVerifier` (domain "Verity Attestation Service", version "1");
 * - `InferenceResult(uint256 requestId,uint256 modelVersion,bytes32 inputHash,bytes32 outputHash,bytes32 traceRoot)`,
 *   signed by a node's enclave key for the `TeeSettler` (domain "Verity TEE Settler", version "1").
 * Both domains carry the chain id and the verifying contract, so a signature replays on no other chain or contract.
 */
import { Signature, type TypedDataDomain, type TypedDataField } from "ethers";

export const ATTESTATION_DOMAIN_NAME = "Verity Attestation Service";
export const SETTLER_DOMAIN_NAME = "Verity TEE Settler";
export const DOMAIN_VERSION = "1";

export const ATTESTATION_TYPES: Record<string, TypedDataField[]> = {
  Attestation: [
    { name: "measurement", type: "bytes32" },
    { name: "enclaveKey", type: "address" },
    { name: "node", type: "address" },
    { name: "expiry", type: "uint64" },
  ],
};

export const RESULT_TYPES: Record<string, TypedDataField[]> = {
  InferenceResult: [
    { name: "requestId", type: "uint256" },
    { name: "modelVersion", type: "uint256" },
    { name: "inputHash", type: "bytes32" },
    { name: "outputHash", type: "bytes32" },
    { name: "traceRoot", type: "bytes32" },
  ],
};

export interface Attestation {
  measurement: string;
  enclaveKey: string;
  node: string;
  expiry: bigint;
}

export interface InferenceResult {
  requestId: bigint;
  modelVersion: bigint;
  inputHash: string;
  outputHash: string;
  traceRoot: string;
}

/** Anything that signs EIP-712 typed data (an ethers Wallet or a JSON-RPC signer). */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

export function attestationDomain(chainId: bigint, verifier: string): TypedDataDomain {
  return { name: ATTESTATION_DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: verifier };
}

export function settlerDomain(chainId: bigint, settler: string): TypedDataDomain {
  return { name: SETTLER_DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: settler };
}

/** An attestation-service signature for `EcdsaAttestationVerifier` (65 bytes r‖s‖v, low s). */
export function signAttestation(
  service: TypedDataSigner,
  domain: TypedDataDomain,
  attestation: Attestation,
): Promise<string> {
  return service.signTypedData(domain, ATTESTATION_TYPES, { ...attestation });
}

/** An enclave-key signature over a result, for `TeeSettler.settle` and equivocation evidence. */
export function signResult(
  enclave: TypedDataSigner,
  domain: TypedDataDomain,
  result: InferenceResult,
): Promise<string> {
  return enclave.signTypedData(domain, RESULT_TYPES, { ...result });
}

/** The malleable twin of a signature (s → n - s, v flipped): the same signer under plain ecrecover. */
export function malleate(signature: string): string {
  const sig = Signature.from(signature);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const highS = n - BigInt(sig.s);
  const v = sig.v === 27 ? 28 : 27;
  return sig.r + highS.toString(16).padStart(64, "0") + v.toString(16);
}
