/**
 * The `verity` launcher (bin/verity.js) in a package whose contracts were never compiled: it says so and how to fix
 * it (exit 2), instead of a module-not-found stack from the TypeChain bindings the chain commands load. And
 * `verity dev`'s window bound: the contract's minimum, checked before any chain is started.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const BIN = path.join(__dirname, "..", "..", "bin", "verity.js");

describe("bin/verity.js", () => {
  it("exits 2 with the compile hint when the package has no typechain-types/", () => {
    const pkg = fs.mkdtempSync(path.join(os.tmpdir(), "verity-uncompiled-"));
    try {
      fs.mkdirSync(path.join(pkg, "bin"));
      fs.copyFileSync(BIN, path.join(pkg, "bin", "verity.js"));
      const r = spawnSync(process.execPath, [path.join(pkg, "bin", "verity.js"), "--help"], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^verity: the contracts are not compiled/);
      expect(r.stderr).to.contain("npx hardhat compile");
      expect(r.stdout).to.equal("");
    } finally {
      fs.rmSync(pkg, { recursive: true, force: true });
    }
  });

  it("verity dev refuses a challenge window under the contract's minimum (10 s) before starting anything, exit 2", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "verity-home-"));
    try {
      const r = spawnSync(process.execPath, [BIN, "dev", "--challenge-window", "9"], {
        encoding: "utf8",
        env: { ...process.env, VERITY_HOME: home },
        timeout: 60_000,
      });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.contain("--challenge-window '9' is not an integer >= 10");
      expect(r.stderr).to.not.contain("starting anvil");
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
