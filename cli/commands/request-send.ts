/**
 * Sending one request to the InferenceManager, as `verity request` and `verity generate` both do: the fee approved
 * when the allowance falls short, the request sent, and its id read from its `InferenceRequested` event; and the
 * `--timeout` both take for their waits.
 */
import { hexlify, ZeroAddress } from "ethers";

import { findEvent } from "../../protocol/events";
import { type Protocol, send, signerOf } from "../chain";
import { CliError } from "../errors";
import { formatAmount } from "../values";

/** What `sendRequest` sends: the version, the input record, the fee, the node (or open), the mode bits. */
export interface RequestToSend {
  readonly versionId: bigint;
  readonly input: Uint8Array;
  readonly fee: bigint;
  /** The node asked, or ZeroAddress for an open request. */
  readonly node: string;
  readonly mode: number;
  /** How the progress line names the action ("request", "generate"). */
  readonly action: string;
}

/** Approves the fee if needed and sends the request; returns its id and the transaction's hash. */
export async function sendRequest(p: Protocol, r: RequestToSend): Promise<{ requestId: bigint; tx: string }> {
  const im = await p.inferenceManager.getAddress();
  if ((await p.token.allowance(signerOf(p).address, im)) < r.fee)
    await send("approve InferenceManager", () => p.token.approve(im, r.fee));
  const label = `${r.action} (version ${r.versionId}, fee ${formatAmount(r.fee, p.decimals, p.symbol)})`;
  const receipt = await send(label, () =>
    p.inferenceManager.request(r.versionId, hexlify(r.input), r.fee, r.node, r.mode, ZeroAddress, 0),
  );
  const ev = findEvent(receipt.logs, p.inferenceManager.interface, "InferenceRequested");
  if (ev) return { requestId: ev.args.requestId as bigint, tx: receipt.hash };
  throw new CliError(
    "the request emitted no InferenceRequested",
    "check the InferenceManager address in the deployment file",
  );
}

/** `--timeout <seconds>`: a positive number of seconds. */
export function parseTimeout(text: string): number {
  const timeout = Number(text);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new CliError(`--timeout '${text}' is not a number of seconds`, "e.g. --timeout 600");
  return timeout;
}
