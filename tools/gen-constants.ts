/**
 * `npm run gen:constants [-- --check]`: writes protocol/enums.ts and protocol/constants.ts, the TypeScript mirror
 * of every enum and constant the contracts declare (see tools/constants/collect.ts for what is included and how it is named), from
 * the ASTs in Hardhat's build-info; the npm script compiles first.
 *
 * With `--check` it writes nothing and exits 1 when a file is out of date (test/protocol/constants.test.ts runs
 * the same comparison).
 */
import * as fs from "fs";
import * as path from "path";

import { readSources } from "./constants/build-info";
import { collect } from "./constants/collect";
import { render } from "./constants/render";

export const ROOT = path.join(__dirname, "..");
export const CONSTANTS_FILE = path.join(ROOT, "protocol", "constants.ts");
export const ENUMS_FILE = path.join(ROOT, "protocol", "enums.ts");

/** The text each generated file should have for the contracts compiled under `root`, by path. */
export function generateConstants(root = ROOT): Map<string, string> {
  const { enums, constants } = render(collect(readSources(root)));
  return new Map([
    [ENUMS_FILE, enums],
    [CONSTANTS_FILE, constants],
  ]);
}

function main(argv: string[]): number {
  let stale = 0;
  for (const [file, text] of generateConstants()) {
    const rel = path.relative(process.cwd(), file);
    const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
    if (current === text) {
      console.log(`${rel} is up to date`);
    } else if (argv.includes("--check")) {
      console.error(`${rel} is out of date: run npm run gen:constants`);
      stale++;
    } else {
      fs.writeFileSync(file, text);
      console.log(`wrote ${rel}`);
    }
  }
  return stale === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
