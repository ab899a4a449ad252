/**
 * The node daemon as the daemon suites run it on the in-process network: the dispute fixture's contracts, a journal
 * file of the test's choosing, fast retries, no periodic credit claims (tests claim explicitly) and an in-memory log
 * the test can read. Any option can be overridden; `addresses` entries are added to the fixture's; `tamper` makes it
 * a cheating node (the tampering double of tools/doubles/tampering-node.ts, logging to the same log).
 */
import type { Signer } from "ethers";

import { NodeDaemon, type NodeAddresses, type NodeDaemonOptions } from "../../daemons/node/daemon";
import { memoryLogger } from "../../daemons/kit/log";
import { TamperingNode, type TamperSetting } from "../../tools/doubles/tampering-node";
import type { DisputeFixture } from "./dispute-fixtures";

/** The fixture's contract addresses, as the daemons take them. */
export async function fixtureAddresses(
  f: Pick<DisputeFixture, "inference" | "disputes" | "nodes" | "models">,
): Promise<NodeAddresses> {
  return {
    inferenceManager: await f.inference.getAddress(),
    disputeManager: await f.disputes.getAddress(),
    nodeRegistry: await f.nodes.getAddress(),
    modelRegistry: await f.models.getAddress(),
  };
}

/** The daemon's options but the log (always the returned in-memory one), with `addresses` added to the fixture's. */
export interface TestDaemonOptions extends Omit<Partial<NodeDaemonOptions>, "addresses" | "log"> {
  addresses?: Partial<NodeAddresses>;
  /** Tamper with this fraction of the requests (the view provider of a `TamperingNode`). */
  tamper?: TamperSetting;
}

export async function testNodeDaemon(
  f: Pick<DisputeFixture, "inference" | "disputes" | "nodes" | "models">,
  signer: Signer,
  journalFile: string,
  extra: TestDaemonOptions = {},
): Promise<{ d: NodeDaemon; log: ReturnType<typeof memoryLogger>; cheater: TamperingNode | null }> {
  const log = memoryLogger();
  const { addresses, tamper, ...rest } = extra;
  const cheater = tamper ? new TamperingNode(tamper, log) : null;
  const d = new NodeDaemon({
    signer,
    journalFile,
    retry: { attempts: 6, baseMs: 1, maxMs: 4 },
    claimEvery: 0,
    log,
    ...(cheater ? { viewProvider: cheater.viewProvider } : {}),
    ...rest,
    addresses: { ...(await fixtureAddresses(f)), ...addresses },
  });
  return { d, log, cheater };
}
