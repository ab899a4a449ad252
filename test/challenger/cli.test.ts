import { expect } from "chai";

import { challengerSettings } from "../../cli/commands/challenger";
import { CliError } from "../../cli/errors";
import { buildCli, EXIT_BAD_INPUT, main } from "../../cli/main";

const defaults = {
  sample: "1",
  sampleSeed: "verity",
  maxPasses: "64",
  confirmations: "1",
  pollMs: "1000",
  maxBlockRange: "2000",
};

describe("verity challenger run (options)", () => {
  it("is registered with the options the network orchestrator passes", () => {
    const group = buildCli().commands.find((c) => c.name() === "challenger");
    const run = group?.commands.find((c) => c.name() === "run");
    const flags = run?.options.map((o) => o.long);
    for (const flag of [
      "--sample",
      "--sample-seed",
      "--max-passes",
      "--journal",
      "--confirmations",
      "--poll-ms",
      "--health-port",
      "--from-block",
      "--max-block-range",
      "--pretty",
    ]) {
      expect(flags).to.include(flag);
    }
  });

  it("turns the options into the daemon's settings", () => {
    expect(
      challengerSettings({
        ...defaults,
        sample: "0.25",
        healthPort: "0",
        fromBlock: "7",
        pollMs: "50",
        maxPasses: "16",
      }),
    ).to.deep.equal({
      sample: 0.25,
      sampleSeed: "verity",
      maxPasses: 16,
      confirmations: 1,
      pollMs: 50,
      healthPort: 0,
      startBlock: 7,
      maxBlockRange: 2000,
    });
  });

  for (const [option, value, text] of [
    ["sample", "1.5", "--sample 1.5 is not a fraction in [0, 1]"],
    ["sample", "", "is not a fraction in [0, 1]"],
    ["sample", "abc", "--sample abc is not a fraction in [0, 1]"],
    ["pollMs", "5", "--poll-ms '5' is not an integer >= 10"],
    ["confirmations", "0", "--confirmations '0' is not an integer >= 1"],
    ["maxBlockRange", "0", "--max-block-range '0' is not an integer >= 1"],
    ["fromBlock", "-1", "--from-block '-1' is not an integer >= 0"],
    ["maxPasses", "0", "--max-passes '0' is not an integer >= 1"],
  ] as const) {
    it(`refuses ${option} = '${value}' with a hint`, () => {
      expect(() => challengerSettings({ ...defaults, [option]: value })).to.throw(CliError, text);
      try {
        challengerSettings({ ...defaults, [option]: value });
      } catch (e) {
        expect((e as CliError).hint).to.match(/^e\.g\. /);
      }
    });
  }

  it("exits 2 on a bad --sample before connecting to any RPC endpoint", async () => {
    const writes: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => writes.push(s) > 0) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(["node", "verity", "challenger", "run", "--sample", "2", "--rpc", "http://127.0.0.1:1"]);
    } finally {
      process.stderr.write = original;
    }
    expect(code).to.equal(EXIT_BAD_INPUT);
    expect(writes.join("")).to.contain("error: --sample 2 is not a fraction in [0, 1]\nhint: e.g. --sample 0.1");
  });
});
