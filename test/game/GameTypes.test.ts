import { expect } from "chai";
import hre from "hardhat";

import { ProofPart, Resolution, StateRootsFault, TraceEnd } from "../helpers/enums";

/** The member names of a TypeScript numeric enum, in order of value. */
function members(e: Record<string, string | number>): string[] {
  return Object.keys(e).filter((k) => Number.isNaN(Number(k)));
}

interface AstNode {
  nodeType: string;
  name?: string;
  nodes?: AstNode[];
  members?: { name: string }[];
}

/** The member names of enum `name`, declared at file level or in a contract of `source`, from the compiler's AST. */
async function solidityEnum(artifact: string, source: string, name: string): Promise<string[]> {
  const build = await hre.artifacts.getBuildInfo(artifact);
  const ast = build!.output.sources[source].ast as AstNode;
  const search = (node: AstNode): AstNode | undefined =>
    node.nodeType === "EnumDefinition" && node.name === name
      ? node
      : (node.nodes ?? []).map(search).find((n) => n !== undefined);
  const found = search(ast);
  if (!found) throw new Error(`enum ${name} not found in ${source}`);
  return found.members!.map((m) => m.name);
}

// test/helpers/enums.ts mirrors the Solidity enums by hand: a member added, removed or moved on one side only would
// make every test that names it check the wrong number.
describe("test/helpers/enums.ts mirrors the games' Solidity enums", function () {
  const GAME_TYPES = "contracts/game/GameTypes.sol";
  const DISPUTES = "contracts/disputes/DisputeManager.sol:DisputeManager";

  before(async () => {
    await hre.run("compile", { quiet: true });
  });

  for (const [name, mirror] of [
    ["Resolution", Resolution],
    ["StateRootsFault", StateRootsFault],
    ["ProofPart", ProofPart],
  ] as const) {
    it(`${name}: the same members in the same order as ${GAME_TYPES}`, async () => {
      expect(members(mirror)).to.deep.equal(await solidityEnum(DISPUTES, GAME_TYPES, name));
    });
  }

  it("TraceEnd: the same members in the same order as IRedundantManager.TraceEnd", async () => {
    const source = "contracts/interfaces/IRedundantManager.sol";
    const artifact = "contracts/redundant/RedundantManager.sol:RedundantManager";
    expect(members(TraceEnd)).to.deep.equal(await solidityEnum(artifact, source, "TraceEnd"));
  });
});
