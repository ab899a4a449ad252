import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { artifacts, ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import * as constants from "../../protocol/constants";
import { InferenceRequestStatus, NodeStatus, VerificationModes } from "../../protocol/constants";
import { generateConstants } from "../../tools/gen-constants";
import { Evaluator, UnsupportedExpressionError, parseNumber } from "../../tools/constants/evaluate";
import type { AstNode, CompilationUnit } from "../../tools/constants/build-info";
import { versionSpec } from "../helpers/fixtures";
import { DIGITS_VERSION, VERSION_FEE, bytesOf, deployInferenceFixture } from "../helpers/inference-fixtures";

/** The runtime code of `name` at a fresh address, its library links zeroed: enough to call its constant getters. */
async function codeOnly(name: string, index: number) {
  const artifact = await artifacts.readArtifact(name);
  const address = ethers.getAddress(`0x${(0xc0de0000 + index).toString(16).padStart(40, "0")}`);
  const code = artifact.deployedBytecode.replace(/__\$[0-9a-f]{34}\$__/g, "0".repeat(40));
  await network.provider.send("hardhat_setCode", [address, code]);
  return new ethers.Contract(address, artifact.abi, ethers.provider);
}

/**
 * The contract whose code answers `name`'s getters: `name` itself, or, for an abstract contract (no code of its own,
 * e.g. BisectionGame), the first protocol contract with code whose ABI has every getter of `names`: one that inherits
 * them.
 */
async function concreteFor(name: string, names: string[]): Promise<string> {
  if ((await artifacts.readArtifact(name)).deployedBytecode !== "0x") return name;
  for (const fqn of await artifacts.getAllFullyQualifiedNames()) {
    if (!fqn.startsWith("contracts/") || fqn.startsWith("contracts/mocks/")) continue;
    const artifact = await artifacts.readArtifact(fqn);
    const functions = new Set(
      artifact.abi.filter((f: { type: string }) => f.type === "function").map((f: { name: string }) => f.name),
    );
    if (artifact.deployedBytecode !== "0x" && names.every((n) => functions.has(n))) return fqn;
  }
  throw new Error(`no contract with code inherits ${name}'s constants`);
}

describe("protocol/constants.ts", () => {
  it("D4: protocol/enums.ts and protocol/constants.ts are what tools/gen-constants.ts generates from the compiled contracts (run npm run gen:constants)", () => {
    for (const [file, text] of generateConstants()) {
      const committed = fs.readFileSync(file, "utf8").split("\n");
      const generated = text.split("\n");
      const line = generated.findIndex((l, i) => l !== committed[i]);
      const at = line < 0 ? committed.length : line;
      const name = path.relative(path.join(__dirname, "..", ".."), file);
      expect(committed[at], `${name} line ${at + 1} differs from the contracts: run npm run gen:constants`).to.equal(
        generated[at],
      );
      expect(committed.length).to.equal(generated.length);
    }
  });

  it("D4: every <Contract>Constants value equals the contract's public getter", async () => {
    const groups = Object.entries(constants).filter(([k]) => k.endsWith("Constants"));
    expect(groups.map(([k]) => k)).to.include.members([
      "StakingConstants",
      "InferenceManagerConstants",
      "DisputeManagerConstants",
    ]);
    let checked = 0;
    for (const [i, [exportName, group]] of groups.entries()) {
      const name = exportName.slice(0, -"Constants".length);
      const contract = await codeOnly(await concreteFor(name, Object.keys(group as object)), i);
      for (const [name, value] of Object.entries(group as Record<string, unknown>)) {
        expect(await contract.getFunction(name)(), `${exportName}.${name}`).to.equal(value);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(50);
  });

  it("Roles are the contracts' role constants", async () => {
    const staking = await codeOnly("Staking", 100);
    expect(await staking.getFunction("SLASHER_ROLE")()).to.equal(constants.Roles.SLASHER_ROLE);
    expect(constants.Roles.GOVERNOR_ROLE).to.equal(ethers.id("GOVERNOR_ROLE"));
  });

  it("D4: the enums number the states the contracts report", async () => {
    const f = await loadFixture(deployInferenceFixture);
    const input = bytesOf(784);
    const requester = f.requesters[0];
    await f.manager
      .connect(requester)
      .request(
        DIGITS_VERSION,
        input,
        VERSION_FEE,
        ethers.ZeroAddress,
        VerificationModes.OPTIMISTIC,
        ethers.ZeroAddress,
        0,
      );
    const open = await f.manager.requestCount();
    expect(await f.manager.statusOf(open)).to.equal(InferenceRequestStatus.Open);
    await f.manager
      .connect(requester)
      .request(DIGITS_VERSION, input, VERSION_FEE, f.node.address, VerificationModes.OPTIMISTIC, ethers.ZeroAddress, 0);
    const assigned = await f.manager.requestCount();
    expect(InferenceRequestStatus[Number(await f.manager.statusOf(assigned))]).to.equal("Assigned");
    expect(await f.nodes.statusOf(f.node.address)).to.equal(NodeStatus.Active);
    expect(await f.nodes.statusOf(f.stranger.address)).to.equal(NodeStatus.None);
  });

  it("VerificationModes.ALL is the widest mask the model registry accepts", async () => {
    const f = await loadFixture(deployInferenceFixture);
    await expect(f.models.connect(f.publisher).publishModel("all-modes", versionSpec({ modes: VerificationModes.ALL })))
      .to.not.be.reverted;
    const beyond = VerificationModes.ALL + 1;
    await expect(f.models.connect(f.publisher).publishModel("beyond", versionSpec({ modes: beyond })))
      .to.be.revertedWithCustomError(f.models, "ModelRegistryInvalidModes")
      .withArgs(beyond);
  });

  describe("the generator's evaluator", () => {
    it("reads number literals with their units, and refuses fractions", () => {
      expect(parseNumber("1e9", "ether")).to.equal(10n ** 27n);
      expect(parseNumber("1_000")).to.equal(1000n);
      expect(parseNumber("0x0f")).to.equal(15n);
      expect(parseNumber("1.5", "minutes")).to.equal(90n);
      expect(() => parseNumber("1.5")).to.throw(UnsupportedExpressionError);
    });

    it("refuses an expression it does not know rather than guessing", () => {
      const unit = { declaration: () => undefined } as unknown as CompilationUnit;
      const call: AstNode = {
        id: 1,
        nodeType: "FunctionCall",
        src: "0:0:0",
        kind: "functionCall",
        expression: { id: 2, nodeType: "Identifier", src: "0:0:0", name: "sha256" },
        arguments: [],
      };
      expect(() => new Evaluator(unit).evaluate(call)).to.throw(UnsupportedExpressionError, "sha256");
    });
  });
});
