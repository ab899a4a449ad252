/**
 * The node daemon as the daemon suites run it on the in-process network: the dispute fixture's contracts, a journal
 * file of the test's choosing, fast retries, no periodic credit claims (tests claim explicitly) and an in-memory log
 * the test can read. Any option can be overridden; `addresses` entries are added to the fixture's; `tamper` makes it
 * a cheating node (the tampering double of tools/doubles/tampering-node.ts, logging to the same log).
 */
import * as path from "path";
import type { Signer } from "ethers";

import { ChallengerDaemon, type ChallengerDaemonOptions } from "../../daemons/challenger/daemon";

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

/**
 * The daemons of a suite that runs operator 0's node against the fixture's challenger, each journaling into the
 * suite's folder (`ctx()` is read when a daemon starts: the suite's fixture and folder of the current test), with
 * fast retries and in-memory logs. `closeAll` (in the suite's afterEach) closes every daemon started.
 */
export function suiteDaemons(
  ctx: () => {
    f: Pick<DisputeFixture, "inference" | "disputes" | "nodes" | "models" | "operators" | "challenger">;
    dir: string;
  },
) {
  const open: { close(): void }[] = [];
  const common = () => ({ retry: { attempts: 3, baseMs: 1, maxMs: 4 }, claimEvery: 0 });
  return {
    async node(extra: Partial<NodeDaemonOptions> = {}): Promise<NodeDaemon> {
      const { f, dir } = ctx();
      const d = new NodeDaemon({
        signer: f.operators[0],
        addresses: await fixtureAddresses(f),
        journalFile: path.join(dir, "node.jsonl"),
        log: memoryLogger(),
        ...common(),
        ...extra,
      });
      open.push(d);
      return d;
    },
    async challenger(
      extra: Partial<ChallengerDaemonOptions> = {},
    ): Promise<{ c: ChallengerDaemon; log: ReturnType<typeof memoryLogger> }> {
      const { f, dir } = ctx();
      const log = memoryLogger();
      const c = new ChallengerDaemon({
        signer: f.challenger,
        addresses: await fixtureAddresses(f),
        journalFile: path.join(dir, "challenger.jsonl"),
        log,
        ...common(),
        ...extra,
      });
      open.push(c);
      return { c, log };
    },
    closeAll(): void {
      for (const d of open.splice(0)) d.close();
    },
  };
}
