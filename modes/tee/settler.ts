/**
 * The TEE mode's `VerifiedSettler` for the node daemon (modes/verified.ts): signs each result with the
 * node's enclave key (EIP-712 `InferenceResult`, in the TeeSettler's domain) and sends `TeeSettler.settle`.
 *
 * The signature binds the request id together with the model version and the input hash the node computed on. Before
 * signing, the settler checks those against the request as the chain now holds it: after a reorg that gave the
 * request id another input (or version), it refuses to sign the stale result (`TeeRequestChangedError`) rather than
 * send a settlement that cannot succeed. Either way the contract judges equivocation on (version, input hash), so two
 * honest signatures for one request id and two inputs are never evidence against the node.
 *
 * With the software enclave key (modes/tee/enclave-key.ts) the "enclave" is this process: the signature shows
 * only that the holder of the key file signed, NOT that attested enclave code computed the result.
 */
import { keccak256, type ContractTransactionResponse, type Overrides, type Signer, type TypedDataDomain } from "ethers";

import {
  IInferenceManager__factory,
  TeeSettler__factory,
  type IInferenceManager,
  type TeeSettler,
} from "../../typechain-types";
import { VerityError } from "../../executor/errors";
import { MODE, type VerifiedResult, type VerifiedSettler } from "../verified";
import { settlerDomain, signResult, type InferenceResult, type TypedDataSigner } from "./eip712";

/** The request on-chain is no longer the one the node computed (another version or input: a reorg). */
export class TeeRequestChangedError extends VerityError {}

export class TeeVerifiedSettler implements VerifiedSettler {
  readonly mode = MODE.TEE;
  readonly name = "tee";

  private constructor(
    private readonly settler: TeeSettler,
    private readonly manager: IInferenceManager,
    private readonly enclave: TypedDataSigner,
    private readonly domain: TypedDataDomain,
  ) {}

  /** `signer` sends the transactions (the node's account); `enclave` signs the results. */
  static async create(signer: Signer, settlerAddress: string, enclave: TypedDataSigner): Promise<TeeVerifiedSettler> {
    const network = await signer.provider!.getNetwork();
    const settler = TeeSettler__factory.connect(settlerAddress, signer);
    const manager = IInferenceManager__factory.connect(await settler.inferenceManager(), signer);
    return new TeeVerifiedSettler(settler, manager, enclave, settlerDomain(network.chainId, settlerAddress));
  }

  /**
   * The signed fields of `result`: its request id, version and input hash, after checking that the chain holds the
   * same version and input hash for that request id (else `TeeRequestChangedError`).
   */
  async resultOf(result: VerifiedResult): Promise<InferenceResult> {
    const inputHash = keccak256(result.input);
    const onChain = await this.manager.getRequest(result.requestId);
    if (onChain.versionId !== result.versionId || onChain.inputHash !== inputHash) {
      throw new TeeRequestChangedError(
        `request ${result.requestId} is now for version ${onChain.versionId} and input hash ${onChain.inputHash} ` +
          `on-chain, not version ${result.versionId} and input hash ${inputHash} as computed (reorged?): ` +
          "refusing to sign the stale result",
      );
    }
    return {
      requestId: result.requestId,
      modelVersion: result.versionId,
      inputHash,
      outputHash: keccak256(result.output),
      traceRoot: result.traceRoot,
    };
  }

  async settle(result: VerifiedResult, overrides: Overrides): Promise<ContractTransactionResponse> {
    const signature = await signResult(this.enclave, this.domain, await this.resultOf(result));
    return this.settler.settle(result.requestId, result.output, result.traceRoot, signature, overrides);
  }
}
