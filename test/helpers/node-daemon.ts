/**
 * The node daemon as the daemon suites run it on the in-process network: the dispute fixture's contracts, a journal
 * file of the test's choosing, fast retries, no periodic credit claims (tests claim explicitly) and an in-memory log
 * the test can read. Any option can be overridden; `addresses` entries are added to the fixture's; `tamper` makes it
 * a cheating node (the tampering double of tools/doubles/tampering-node.ts, logging to the same log).
 */
import * as fs from "fs";
import * as os from "os";
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
 * The daemons of a suite that runs operator 0's node against the fixture's challenger (`fixture()` is read when a
 * daemon starts: the suite's fixture of the current test), with fast retries and in-memory logs. Registers the
 * suite's hooks: each test gets a fresh temporary folder (`dir()`, named after `prefix`) for the daemons' journals,
 * and every daemon started is closed and the folder removed after it.
 */
export function suiteDaemons(
  prefix: string,
  fixture: () => Pick<DisputeFixture, "inference" | "disputes" | "nodes" | "models" | "operators" | "challenger">,
) {
  const open: { close(): void }[] = [];
  let folder = "";
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    for (const d of open.splice(0)) d.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });
  const common = () => ({ retry: { attempts: 3, baseMs: 1, maxMs: 4 }, claimEvery: 0 });
  return {
    /** The current test's folder. */
    dir: (): string => folder,
    async node(extra: Partial<NodeDaemonOptions> = {}): Promise<NodeDaemon> {
      const f = fixture();
      const d = new NodeDaemon({
        signer: f.operators[0],
        addresses: await fixtureAddresses(f),
        journalFile: path.join(folder, "node.jsonl"),
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
      const f = fixture();
      const log = memoryLogger();
      const c = new ChallengerDaemon({
        signer: f.challenger,
        addresses: await fixtureAddresses(f),
        journalFile: path.join(folder, "challenger.jsonl"),
        log,
        ...common(),
        ...extra,
      });
      open.push(c);
      return { c, log };
    },
  };
}
