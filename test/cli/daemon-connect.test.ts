/**
 * `verity node serve` and `verity challenger run` at start-up (cli/daemon-process.ts `connectDaemon`): while no
 * JSON-RPC node answers they wait with backoff, a warning per attempt, instead of exiting; once the chain answers,
 * they go on (here to the next check, the deployment, which this empty chain fails at once).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { freePort, startAnvil } from "../../cli/dev/anvil";
import { connectDaemon } from "../../cli/daemon-process";
import { ChainUnreachableError } from "../../cli/errors";
import { memoryLogger } from "../../daemons/kit/log";
import { DEV_KEYS } from "../../tools/network/processes";

describe("daemon start-up with the RPC endpoint down", function () {
  this.timeout(60_000);

  it("waits with backoff until the chain answers, then goes on", async () => {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-connect-"));
    const deployment = path.join(dir, "deployment.json");
    const zero = "0x" + "00".repeat(19) + "01";
    fs.writeFileSync(
      deployment,
      JSON.stringify({ token: zero, staking: zero, modelRegistry: zero, nodeRegistry: zero, inferenceManager: zero }),
    );
    const log = memoryLogger();
    const connecting = connectDaemon({ rpc: `http://127.0.0.1:${port}`, key: DEV_KEYS[1], deployment }, log, 200).then(
      () => null,
      (e: unknown) => e,
    );
    // Nothing listens yet: the daemon waits (200 ms, 400 ms, ...) instead of exiting.
    await new Promise((r) => setTimeout(r, 1_000));
    const waits = log.lines.filter((l) => l.msg === "the RPC endpoint does not answer; waiting for it");
    expect(waits.length).to.be.greaterThanOrEqual(2);
    expect(waits.map((l) => l.retryInMs)).to.deep.include.members([200, 400]);
    const anvil = await startAnvil({ port, blockTime: 0 });
    try {
      const outcome = await connecting;
      // Past the chain: the empty chain has no deployment, a user-fixable error, not an unreachable chain.
      expect(outcome).to.be.instanceOf(Error);
      expect(outcome).to.not.be.instanceOf(ChainUnreachableError);
    } finally {
      await anvil.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
