/**
 * A fast decoder of `InferenceRequested`, the one event the daemons read by the hundred with a 784-byte input each:
 * ethers' generic `parseLog` costs milliseconds per such log (finding the fragment by topic, then the ABI decoder's
 * copies), which added up to most of a tick under a backlog. The layout is fixed by the event's signature:
 *   topics: [topic0, requestId, requester, node]   (the indexed parameters)
 *   data:   versionId | fee | mode | offset of input (0x80) | input length | input, padded to 32 bytes
 * Anything else (another event, a malformed log) throws, naming the log; test/node/kit.test.ts checks agreement with
 * ethers' decoder.
 */
import { InferenceManager__factory } from "../../typechain-types";

/** What a daemon reads of an `InferenceRequested` log. */
export interface InferenceRequestedLog {
  requestId: bigint;
  versionId: bigint;
  /** Lowercase; the zero address for an open request. */
  requester: string;
  node: string;
  fee: bigint;
  mode: number;
  /** The input, 0x-prefixed hex. */
  input: string;
}

/** topic0 of InferenceRequested. */
export const INFERENCE_REQUESTED_TOPIC = InferenceManager__factory.createInterface()
  .getEvent("InferenceRequested")
  .topicHash.toLowerCase();

const word = (hex: string, i: number) => hex.slice(2 + 64 * i, 2 + 64 * (i + 1));

/** Decodes an `InferenceRequested` log (see the layout above). */
export function decodeInferenceRequested(log: { topics: readonly string[]; data: string }): InferenceRequestedLog {
  const { topics, data } = log;
  const bad = (why: string) => new Error(`not an InferenceRequested log (${why}): topics ${topics.join(",")}`);
  if (topics.length !== 4 || topics[0].toLowerCase() !== INFERENCE_REQUESTED_TOPIC) throw bad("topics");
  if (!/^0x[0-9a-fA-F]*$/.test(data) || (data.length - 2) % 64 !== 0 || data.length < 2 + 64 * 5) throw bad("data");
  if (BigInt("0x" + word(data, 3)) !== 0x80n) throw bad("input offset");
  const length = Number(BigInt("0x" + word(data, 4)));
  const start = 2 + 64 * 5;
  if (start + 2 * length > data.length) throw bad("input length");
  return {
    requestId: BigInt(topics[1]),
    versionId: BigInt("0x" + word(data, 0)),
    requester: "0x" + topics[2].slice(26).toLowerCase(),
    node: "0x" + topics[3].slice(26).toLowerCase(),
    fee: BigInt("0x" + word(data, 1)),
    mode: Number(BigInt("0x" + word(data, 2))),
    input: "0x" + data.slice(start, start + 2 * length).toLowerCase(),
  };
}
