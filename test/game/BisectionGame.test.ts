import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { artifacts } from "hardhat";
import { Interface, type Fragment } from "ethers";

/**
 * The game lives once (contracts/game/BisectionGame.sol): DisputeManager and RedundantManager inherit it and define
 * only what is their own. The ABI side: every function, event and error of IBisectionGame is in both contracts
 * under one selector, and the functions both contracts expose are the one game's, AccessControl's, and a short list
 * of wiring and version getters that each sets its own way. The source side: the only functions both contracts
 * define are BisectionGame's hooks.
 */
const ROOT = path.join(__dirname, "..", "..");

async function abiOf(name: string): Promise<Interface> {
  return new Interface((await artifacts.readArtifact(name)).abi);
}

function keyOf(f: Fragment): string {
  return f.format("sighash");
}

function functionNames(i: Interface): Set<string> {
  const names = new Set<string>();
  i.forEachFunction((f) => names.add(f.name));
  return names;
}

/** The names of the functions a Solidity source defines (declared with a body or as an override). */
function definedFunctions(file: string): Set<string> {
  const source = fs.readFileSync(path.join(ROOT, file), "utf8");
  return new Set([...source.matchAll(/\bfunction\s+(\w+)\s*\(/g)].map((m) => m[1]));
}

/** The hooks BisectionGame leaves to its users: its functions declared `virtual` without a body. */
function hooks(): Set<string> {
  const source = fs.readFileSync(path.join(ROOT, "contracts/game/BisectionGame.sol"), "utf8");
  return new Set([...source.matchAll(/\bfunction\s+(\w+)\s*\([^;{]*\bvirtual\b[^;{]*;/g)].map((m) => m[1]));
}

/**
 * The entry points of the pass level of a game over a generation (docs/GENERATION.md §8–§9), named alike in both
 * contracts because they are the same move: a node reveals its pass roots, a player proves the choice of agreed
 * logits. Each checks its own commitment (the InferenceManager's, or a slot's) and decides its own way (the node
 * against the challenger, node A against node B); the work they share (the generation and the records' checks, a
 * pass's input window, the logits' choice) is GameLib's, written once.
 */
const PASS_LEVEL = new Set(["proveChoice", "revealPassRoots"]);

describe("BisectionGame: one game, two users", function () {
  it("both game contracts take every IBisectionGame function, event and error under the one selector", async function () {
    const shared = await abiOf("IBisectionGame");
    const users = [await abiOf("DisputeManager"), await abiOf("RedundantManager")];
    const fragments = shared.fragments.filter((f) => f.type === "function" || f.type === "event" || f.type === "error");
    expect(fragments.length).to.be.greaterThan(20);
    for (const user of users) {
      const keys = new Set(
        user.fragments.filter((f) => f.type === "function" || f.type === "event" || f.type === "error").map(keyOf),
      );
      for (const f of fragments) expect(keys.has(keyOf(f)), keyOf(f)).to.equal(true);
      // No second function of the same name beside the shared one (an overload with other arguments).
      user.forEachFunction((f) => {
        if (shared.getFunction(f.name) !== null) expect(keyOf(f)).to.equal(keyOf(shared.getFunction(f.name)!));
      });
    }
  });

  it("the functions both contracts expose are the one game's, AccessControl's and each one's wiring", async function () {
    const [dm, rm] = [functionNames(await abiOf("DisputeManager")), functionNames(await abiOf("RedundantManager"))];
    const common = [...dm].filter((n) => rm.has(n)).sort();
    const game = functionNames(await abiOf("BisectionGame"));
    const accessControl = functionNames(await abiOf("AccessControl"));
    // Same names, values of each contract's own: its version, its governor role, its registries, its move bound.
    const ownWiring = new Set(["VERSION", "GOVERNOR_ROLE", "MAX_MOVES", "modelRegistry", "nodeRegistry", "staking"]);
    const elsewhere = common.filter(
      (n) => !game.has(n) && !accessControl.has(n) && !ownWiring.has(n) && !PASS_LEVEL.has(n),
    );
    expect(elsewhere).to.deep.equal([]);
    for (const n of ["openChunk", "revealChildren", "proveStep", "proveStepSparse", "resolveTimeout", "deadline"])
      expect(game.has(n), n).to.equal(true);
  });

  it("the only functions both contracts define in their source are BisectionGame's hooks", function () {
    const dm = definedFunctions("contracts/disputes/DisputeManager.sol");
    const rm = definedFunctions("contracts/redundant/RedundantManager.sol");
    const both = [...dm].filter((n) => rm.has(n) && n !== "constructor").sort();
    const virtualHooks = hooks();
    expect(virtualHooks.size).to.be.greaterThan(5);
    expect(both).to.deep.equal([...virtualHooks, ...PASS_LEVEL].sort());
  });
});
