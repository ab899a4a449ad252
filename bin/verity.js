#!/usr/bin/env node
// Launcher for the `verity` CLI (package.json "bin"): runs the TypeScript sources in cli/ through ts-node,
// transpile-only (type checking is `npx tsc --noEmit`'s job).
//
// Transpiling the ~40 modules the CLI loads takes seconds on every start, so the JavaScript ts-node emits is
// cached in node_modules/.cache/verity-cli, keyed by the sha256 of (TypeScript version, tsconfig.json, file path,
// source).
// A changed source gets a new key, so the cache can never serve stale code; delete the folder to reclaim space.
// Set VERITY_NO_CACHE=1 to bypass it (ts-node then compiles every file, as plain `ts-node/register` would).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");

// The chain commands load the contracts' TypeChain bindings, which `npx hardhat compile` generates (`npm ci` runs it
// through the package's `prepare` script); without them every command would fail with a module-not-found stack.
if (!fs.existsSync(path.join(root, "typechain-types", "index.ts"))) {
  process.stderr.write(
    "verity: the contracts are not compiled (no typechain-types/ in the package)\n" +
      "  hint: run `npx hardhat compile` in " + root + " first (`npm ci` does it too)\n",
  );
  process.exit(2);
}

const project = path.join(root, "tsconfig.json");
const cacheDir = path.join(root, "node_modules", ".cache", "verity-cli");
const useCache = !process.env.VERITY_NO_CACHE;

let service = null;
function tsNode() {
  if (service === null) service = require("ts-node").create({ transpileOnly: true, project });
  return service;
}

if (!useCache) {
  require("ts-node").register({ transpileOnly: true, project });
} else {
  // The key covers everything that shapes the output: the compiler version, the compiler options, the file, its source.
  const salt = `${require("typescript/package.json").version}\0${fs.readFileSync(project, "utf8")}`;
  require.extensions[".ts"] = function loadTs(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const key = crypto.createHash("sha256").update(`${salt}\0${filename}\0${source}`).digest("hex");
    const cached = path.join(cacheDir, `${key}.js`);
    let js;
    try {
      js = fs.readFileSync(cached, "utf8");
    } catch {
      js = tsNode().compile(source, filename);
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, js);
        fs.renameSync(tmp, cached); // atomic: concurrent CLIs never read a half-written file
      } catch {
        // A read-only node_modules only costs speed.
      }
    }
    module._compile(js, filename);
  };
}

require("../cli/main")
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
