/**
 * The `verity` launcher (bin/verity.js) in a package whose contracts were never compiled: it says so and how to fix
 * it (exit 2), instead of a module-not-found stack from the TypeChain bindings the chain commands load.
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
});
