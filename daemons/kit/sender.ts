/**
 * A contract call sent as a transaction with less of ethers' per-transaction work, for the daemons' big ones (a
 * 200-leaf `commitBatch` carries 19 kB of calldata). Through a contract method, ethers v6 estimates the gas, reads
 * the fee data and the network one after the other, then, to send it, re-parses the signed transaction it just
 * built, re-serializes and hashes it twice and recovers the sender's address from the signature (`broadcastTransaction`
 * and `_wrapTransactionResponse`): 0.3-0.5 s of CPU per batch on the 2-core machine of bench/network.ts, where the
 * chain answered each call in milliseconds. Here, with a `Wallet` on a JSON-RPC provider: the estimate (the
 * contract's own checks: a revert there means nothing is sent), the fee data, the network and the block number at
 * once; the transaction signed once; `eth_sendRawTransaction`; and ethers' `TransactionResponse` built from what is
 * known (its `wait` is ethers' own, replacement detection included). Any other signer or provider (the in-process
 * Hardhat network of the tests) goes through `signer.sendTransaction`.
 */
import {
  JsonRpcApiProvider,
  type Interface,
  Transaction,
  TransactionResponse,
  Wallet,
  type Signer,
  type TransactionLike,
} from "ethers";

/** A call to send: the contract, its ABI (to name its custom errors in a refusal) and the calldata. */
export interface Call {
  readonly to: string;
  readonly iface: Interface;
  readonly data: string;
}

/**
 * Sends `call` from `signer` with nonce `nonce`; resolves once the node took the transaction. A refusal at
 * estimation is thrown as ethers' CALL_EXCEPTION, with `revert` set as a contract method sets it when `call.iface`
 * knows the error.
 */
export async function sendCall(signer: Signer, call: Call, nonce: number): Promise<TransactionResponse> {
  const { to, data } = call;
  const provider = signer.provider;
  if (!(signer instanceof Wallet) || !(provider instanceof JsonRpcApiProvider)) {
    return signer.sendTransaction({ to, data, nonce });
  }
  const from = signer.address;
  const [gasLimit, fee, network, startBlock] = await Promise.all([
    provider.estimateGas({ from, to, data }).catch((e: unknown) => {
      throw withRevert(e, call.iface);
    }),
    provider.getFeeData(),
    provider.getNetwork(),
    provider.getBlockNumber(),
  ]);
  // As ethers' populateTransaction: EIP-1559 fees when the chain has them, else a legacy gas price.
  const fees: TransactionLike<string> =
    fee.maxFeePerGas !== null && fee.maxPriorityFeePerGas !== null
      ? { type: 2, maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas }
      : { type: 0, gasPrice: fee.gasPrice };
  const tx = Transaction.from({ ...fees, chainId: network.chainId, nonce, to, data, gasLimit, value: 0n });
  tx.signature = signer.signingKey.sign(tx.unsignedHash);
  const hash = (await provider.send("eth_sendRawTransaction", [tx.serialized])) as string;
  const response = new TransactionResponse(
    {
      blockNumber: null,
      blockHash: null,
      hash,
      index: 0,
      type: tx.type ?? 0,
      to,
      from,
      nonce,
      gasLimit,
      gasPrice: tx.gasPrice ?? tx.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
      maxFeePerGas: tx.maxFeePerGas,
      data: tx.data,
      value: 0n,
      chainId: network.chainId,
      signature: tx.signature,
      accessList: null,
      authorizationList: null,
    },
    provider,
  );
  return response.replaceableTransaction(startBlock);
}

/** `e` with `revert` (name, signature, args) decoded from its revert data by `iface`, when it knows the error. */
function withRevert(e: unknown, iface: Interface): unknown {
  const err = e as { data?: unknown; revert?: unknown };
  if (err === null || typeof err !== "object" || err.revert || typeof err.data !== "string") return e;
  try {
    const parsed = iface.parseError(err.data);
    if (parsed) err.revert = { name: parsed.name, signature: parsed.signature, args: [...parsed.args] };
  } catch {
    // not an error of this contract: left as is
  }
  return e;
}
