import { expect } from "chai";

import { CliError } from "../../cli/errors";
import { TamperingNode } from "../../tools/doubles/tampering-node";
import { takeCheatOptions } from "../../tools/network/cheating-node";

/** The network tool's dishonest node refuses settings it cannot honour, before it connects to anything. */
describe("the network tool's cheating node (tools/network/cheating-node.ts)", () => {
  it("takes --cheat and --cheat-seed out of the arguments and leaves the rest to node serve", () => {
    const { setting, rest } = takeCheatOptions(["--rpc", "http://127.0.0.1:1", "--cheat", "0.25", "--cheat-seed", "s"]);
    expect(setting).to.deep.equal({ fraction: 0.25, seed: "s" });
    expect(rest).to.deep.equal(["--rpc", "http://127.0.0.1:1"]);
  });

  it("defaults to a tenth of the requests, seed 'verity'", () => {
    expect(takeCheatOptions([]).setting).to.deep.equal({ fraction: 0.1, seed: "verity" });
  });

  for (const bad of ["1.5", "-0.1", "abc"]) {
    it(`refuses --cheat ${bad} with a CliError and a hint`, () => {
      expect(() => takeCheatOptions(["--cheat", bad]))
        .to.throw(CliError, `is not a fraction in [0, 1]`)
        .with.property("hint", "e.g. --cheat 0.1");
    });
  }

  it("refuses --cheat with no value", () => {
    expect(() => takeCheatOptions(["--cheat"])).to.throw(CliError, "is not a fraction in [0, 1]");
  });

  it("the double itself refuses a fraction outside [0, 1]", () => {
    expect(() => new TamperingNode({ fraction: 2, seed: "x" })).to.throw(
      RangeError,
      "cheat fraction 2 is not in [0, 1]",
    );
    expect(new TamperingNode({ fraction: 1, seed: "x" }).cheated).to.equal(0);
  });
});
