/**
 * `npm run gen:constants [-- --check]`: writes protocol/constants.ts, the TypeScript mirror of every enum and
 * constant the contracts declare (see tools/constants/collect.ts for what is included and how it is named), from
 * the ASTs in Hardhat's build-info; the npm script compiles first.
 *
 * With `--check` it writes nothing and exits 1 when the file is out of date (test/protocol/constants.test.ts runs
 * the same comparison).
 */
import * as fs from "fs";
import * as path from "path";

import { readSources } from "./constants/build-info";
import { collect } from "./constants/collect";
import { render } from "./constants/render";

export const ROOT = path.join(__dirname, "..");
export const CONSTANTS_FILE = path.join(ROOT, "protocol", "constants.ts");

/** The text protocol/constants.ts should have for the contracts compiled under `root`. */
export function generateConstants(root = ROOT): string {
  return render(collect(readSources(root)));
}

function main(argv: string[]): number {
  const text = generateConstants();
  const rel = path.relative(process.cwd(), CONSTANTS_FILE);
  const current = fs.existsSync(CONSTANTS_FILE) ? fs.readFileSync(CONSTANTS_FILE, "utf8") : null;
  if (argv.includes("--check")) {
    if (current === text) return 0;
    console.error(`${rel} is out of date: run npm run gen:constants`);
    return 1;
  }
  if (current === text) {
    console.log(`${rel} is up to date`);
  } else {
    fs.writeFileSync(CONSTANTS_FILE, text);
    console.log(`wrote ${rel}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
