/**
 * The TEE mode's `VerifiedSettler` for the node daemon (executor/node/verified.ts): signs each result with the
 * node's enclave key (EIP-712 `InferenceResult`, in the TeeSettler's domain) and sends `TeeSettler.settle`.
 *
 * With the software enclave key (executor/tee/enclave-key.ts) the "enclave" is this process: the signature shows
 * only that the holder of the key file signed, NOT that attested enclave code computed the result.
 */
import { keccak256, type ContractTransactionResponse, type Overrides, type Signer, type TypedDataDomain } from "ethers";

import { TeeSettler__factory, type TeeSettler } from "../../typechain-types";
import { MODE, type VerifiedResult, type VerifiedSettler } from "../node/verified";
import { settlerDomain, signResult, type InferenceResult, type TypedDataSigner } from "./eip712";

export class TeeVerifiedSettler implements VerifiedSettler {
  readonly mode = MODE.TEE;
  readonly name = "tee";

  private constructor(
    private readonly settler: TeeSettler,
    private readonly enclave: TypedDataSigner,
    private readonly domain: TypedDataDomain,
  ) {}

  /** `signer` sends the transactions (the node's account); `enclave` signs the results. */
  static async create(signer: Signer, settlerAddress: string, enclave: TypedDataSigner): Promise<TeeVerifiedSettler> {
    const network = await signer.provider!.getNetwork();
    const settler = TeeSettler__factory.connect(settlerAddress, signer);
    return new TeeVerifiedSettler(settler, enclave, settlerDomain(network.chainId, settlerAddress));
  }

  /** The signed fields of `result`: the version and input hash exactly as the chain holds them. */
  async resultOf(result: VerifiedResult): Promise<InferenceResult> {
    return {
      requestId: result.requestId,
      modelVersion: result.versionId,
      inputHash: keccak256(result.input),
      outputHash: keccak256(result.output),
      traceRoot: result.traceRoot,
    };
  }

  async settle(result: VerifiedResult, overrides: Overrides): Promise<ContractTransactionResponse> {
    const signature = await signResult(this.enclave, this.domain, await this.resultOf(result));
    return this.settler.settle(result.requestId, result.output, result.traceRoot, signature, overrides);
  }
}
