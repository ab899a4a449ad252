/**
 * The `verity` CLI end to end, through `node bin/verity.js …` child processes, against a real JSON-RPC chain:
 * anvil on a free loopback port, mining a block per transaction (test/helpers/cli-chain.ts), started in `before`
 * and killed in `after`.
 * The node daemon is not part of this suite, so the test itself plays the node's part where a command needs a
 * commitment: it reads the input from the chain, runs the stored program, and commits (honestly, or not).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { getBytes, JsonRpcProvider, keccak256, NonceManager, Wallet } from "ethers";

import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { decodeProgram } from "../../executor/runtime/program";
import { bytesOf } from "../../executor/trace/trace";
import { InferenceManager__factory } from "../../typechain-types";
import { spawn } from "child_process";
import { startAnvil } from "../../cli/dev/anvil";
import { DEV_KEYS, freePort, HARDHAT_BIN, rpc } from "../../tools/network/processes";
import { asKey, CliChain, type CliRun } from "../helpers/cli-chain";
import { UNDER_COVERAGE } from "../helpers/coverage";

const ROOT = path.join(__dirname, "..", "..");

// Hardhat's development accounts 0 (governor / publisher), 1 (operator), 2 (requester), 3 (a second operator, for
// redundant requests).
const KEYS = DEV_KEYS;
const [GOVERNOR, OPERATOR, REQUESTER, SECOND] = KEYS.map((k) => new Wallet(k).address);

type Run = CliRun;

// Under `npm run coverage` this suite is skipped: its child processes (`verity deploy` runs Hardhat's Ignition task,
// and the chain) build the project in the same directory as the instrumented run, and it exercises no contract
// path that the contract suites do not already cover.
(UNDER_COVERAGE ? describe.skip : describe)("verity CLI on a JSON-RPC chain", function () {
  this.timeout(90_000);
  let url: string;
  let dir: string;
  let deploymentId: string;
  let env: Record<string, string>;
  let provider: JsonRpcProvider;
  let deployJson: { chainId: string; deployment: string; addresses: Record<string, string> };

  let cli: CliChain;
  const verity = (args: string[], extra: Record<string, string> = {}): Promise<Run> => cli.verity(args, extra);
  const ok = (args: string[], extra: Record<string, string> = {}): Promise<Run> => cli.ok(args, extra);
  const json = <T>(args: string[], extra: Record<string, string> = {}): Promise<T> => cli.json<T>(args, extra);
  const as = asKey;

  async function increaseTime(seconds: number): Promise<void> {
    await rpc(url, "evm_increaseTime", [seconds]);
    await rpc(url, "evm_mine");
  }

  const nodeManager = (key: string = KEYS[1]) =>
    InferenceManager__factory.connect(
      deployJson.addresses.inferenceManager,
      new NonceManager(new Wallet(key, provider)),
    );

  /** The node's result for a request: the stored program of version 1 run on the on-chain input (or a lie). */
  async function resultOf(requestId: bigint, lie = false): Promise<{ output: Uint8Array; traceRoot: string }> {
    const im = nodeManager();
    const [ev] = await im.queryFilter(im.filters.InferenceRequested(requestId), 0);
    const input = getBytes(ev.args.input);
    const program = decodeProgram(new Uint8Array(fs.readFileSync(programFile)));
    let view = honestView(program, new Int8Array(input.buffer, input.byteOffset, input.byteLength));
    if (lie) view = tamperedView(view, program.layers.length, 3, { delta: 77 });
    return { output: bytesOf(view.states[view.states.length - 1]), traceRoot: view.trace.traceRoot };
  }

  /** Plays the node: commits one request's result (optionally a lie). */
  async function commitAsNode(requestId: bigint, lie = false, key: string = KEYS[1]): Promise<void> {
    const r = await resultOf(requestId, lie);
    await (await nodeManager(key).commit(requestId, r.output, r.traceRoot)).wait();
  }

  let programFile: string;
  let digit: string;
  let label: number;

  before(async function () {
    this.timeout(240_000);
    cli = await CliChain.start("cli-test");
    ({ dir, url, deploymentId, env, provider } = cli);
    // A digit and a small calibration set from the held-out data.
    const cal = JSON.parse(fs.readFileSync(path.join(ROOT, "models", "digits-calibration.json"), "utf8")) as {
      images: number[][];
      labels: number[];
    };
    const test = JSON.parse(fs.readFileSync(path.join(ROOT, "models", "digits-test.json"), "utf8")) as {
      images: number[][];
      labels: number[];
    };
    fs.writeFileSync(
      path.join(dir, "cal.json"),
      JSON.stringify({ images: cal.images.slice(0, 16), labels: cal.labels.slice(0, 16) }),
    );
    digit = path.join(dir, "digit.json");
    fs.writeFileSync(digit, JSON.stringify(test.images[0]));
    label = test.labels[0];
    fs.copyFileSync(path.join(ROOT, "models", "mlp.onnx"), path.join(dir, "mlp.onnx"));
    deployJson = await json(["deploy", "--deployment-id", deploymentId], as(0));
    env.VERITY_DEPLOYMENT = deployJson.deployment;
  });

  after(() => cli?.stop());

  describe("connection and configuration", () => {
    it("C2: exits 2 with the hint to start a chain when no RPC node answers", async () => {
      const port = await freePort();
      const r = await verity(["status", "--rpc", `http://127.0.0.1:${port}`]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain(`no JSON-RPC node answers at http://127.0.0.1:${port}`);
      expect(r.stderr).to.contain("verity dev");
      expect(r.stderr).to.contain("npx hardhat node --hostname 127.0.0.1");
      expect(r.stderr).to.not.contain("JsonRpcProvider"); // no retry noise from ethers
    });

    it("C2: exits 2 when the deployment file does not exist, and points at verity deploy", async () => {
      const r = await verity(["status", "--deployment", path.join(dir, "nope.json")]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.match(/deployment file .*nope\.json' does not exist/);
      expect(r.stderr).to.contain("verity deploy");
    });

    it("takes the RPC URL from the config file when neither flag nor environment gives one", async () => {
      const config = path.join(dir, "config.json");
      fs.writeFileSync(config, JSON.stringify({ rpc: url, deployment: deployJson.deployment }));
      const r = await verity(["params", "show", "--json", "--config", config], {
        VERITY_RPC_URL: "",
        VERITY_DEPLOYMENT: "",
      });
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).chainId).to.equal("31337");
      // A flag beats the config file.
      const dead = await freePort();
      const r2 = await verity(["params", "show", "--config", config, "--rpc", `http://127.0.0.1:${dead}`], {
        VERITY_RPC_URL: "",
      });
      expect(r2.status).to.equal(2);
    });

    it("C2: refuses a write command without a key (exit 2, with a hint)", async () => {
      const r = await verity(["node", "stake", "1"]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("needs a private key");
      expect(r.stderr).to.contain("VERITY_PRIVATE_KEY");
      const bad = await verity(["node", "stake", "1", "--key", "0x1234"]);
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain("the private key is not a 32-byte hex string");
    });

    it("C2: exits 64 on a usage error (a missing required option)", async () => {
      const r = await verity(["node", "register", "--serve", "1"]);
      expect(r.status).to.equal(64);
      expect(r.stderr).to.contain("--endpoint");
    });
  });

  describe("deployers", () => {
    it("deploy printed every contract's address, and they hold code", async () => {
      for (const k of ["token", "staking", "modelRegistry", "nodeRegistry", "inferenceManager", "disputeManager"]) {
        expect(await provider.getCode(deployJson.addresses[k]), k).to.not.equal("0x");
      }
      expect(deployJson.chainId).to.equal("31337");
    });

    it("params show lists every parameter with its value and bounds", async () => {
      const r = await json<{
        parameters: { contract: string; name: string; value: string; min: string | null; max: string | null }[];
      }>(["params", "show"]);
      // 14 of Staking, InferenceManager and DisputeManager, 2 of the TeeSettler, 6 of the RedundantManager
      expect(r.parameters.map((p) => `${p.contract}.${p.name}`)).to.have.length(22);
      expect(r.parameters.find((p) => p.name === "bondPpm")).to.include({ value: "100000", min: "0", max: "1000000" });
      const serve = r.parameters.find((p) => p.name === "serveTimeout")!;
      expect(serve).to.include({ contract: "InferenceManager", value: "300", min: "30", max: "86400" });
      const k = r.parameters.find((p) => p.contract === "RedundantManager" && p.name === "maxNodes")!;
      expect(k).to.include({ min: "2", max: "5" });
      const slash = r.parameters.find((p) => p.contract === "TeeSettler" && p.name === "equivocationSlash")!;
      expect(slash.min).to.equal("1");
      const window = r.parameters.find((p) => p.name === "challengeWindow")!;
      expect(window).to.include({ value: "3600", min: "10", max: "604800" });
      const stake = r.parameters.find((p) => p.name === "minimumStake")!;
      expect(stake.value).to.equal(10n ** 21n + "");
    });

    it("params set changes a parameter with the governor's key", async () => {
      const r = await ok(["params", "set", "InferenceManager.requestTimeout", "7200"], as(0));
      expect(r.stdout).to.contain("InferenceManager.requestTimeout: 3600 s -> 7200 s");
    });

    it("params set changes one RedundantManager parameter and leaves the others as they were", async () => {
      const before = await json<{ parameters: { contract: string; name: string; value: string }[] }>([
        "params",
        "show",
      ]);
      const r = await ok(["params", "set", "RedundantManager.maxNodes", "3"], as(0));
      expect(r.stdout).to.match(/RedundantManager\.maxNodes: \d+ -> 3 /);
      const after = await json<{ parameters: { contract: string; name: string; value: string }[] }>(["params", "show"]);
      for (const p of after.parameters.filter((q) => q.contract === "RedundantManager" && q.name !== "maxNodes")) {
        expect(p.value, p.name).to.equal(
          before.parameters.find((q) => q.contract === p.contract && q.name === p.name)!.value,
        );
      }
      const bad = await verity(["params", "set", "TeeSettler.equivocationRewardPpm", "600000"], as(0));
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain("600000");
    });

    it("C2: params set with another key reverts with the decoded AccessControl error and a hint", async () => {
      const r = await verity(["params", "set", "DisputeManager.bond", "5"], as(2));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain(`AccessControlUnauthorizedAccount(${REQUESTER}`);
      expect(r.stderr).to.contain("hint: this account lacks the role");
    });

    it("C2: params set out of bounds reverts with the bounds", async () => {
      const r = await verity(["params", "set", "InferenceManager.challengeWindow", "5"], as(0));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain('InferenceManagerParameterOutOfBounds("challengeWindow", 5, 10, 604800)');
    });
  });

  describe("publishers", () => {
    it("model publish stores the artifact and the program under .verity/store/<cid> and registers version 1", async () => {
      await ok(["model", "import", "mlp.onnx", "-c", "cal.json", "-o", "mlp"]);
      fs.copyFileSync(path.join(dir, "mlp.onnx"), path.join(dir, "mlp", "mlp.onnx"));
      const r = await json<{
        modelId: string;
        versionId: string;
        number: string;
        artifactCid: string;
        programDigest: string;
        store: string;
      }>(["model", "publish", "mlp", "--name", "digits-mlp", "--fee", "1.5"], as(0));
      expect(r).to.include({ modelId: "1", versionId: "1", number: "1" });
      programFile = path.join(r.store, "program.bin");
      expect(keccak256(fs.readFileSync(programFile))).to.equal(r.programDigest);
      expect(r.store.startsWith(path.join(dir, ".verity", "store", r.artifactCid))).to.equal(true);
      expect(fs.existsSync(path.join(dir, ".verity", "store", r.artifactCid, "model.onnx"))).to.equal(true);
    });

    it("publishing the same name again adds a version to the caller's model", async () => {
      const r = await json<{ modelId: string; versionId: string; number: string }>(
        ["model", "publish", "mlp", "--name", "digits-mlp", "--modes", "none"],
        as(0),
      );
      expect(r).to.include({ modelId: "1", versionId: "2", number: "2" });
    });

    it("model list shows both versions with modes, fee and the local copy", async () => {
      const r = await json<{
        versions: {
          versionId: string;
          modes: string;
          fee: string;
          stored: boolean;
          deprecated: boolean;
          generation: unknown;
        }[];
      }>(["model", "list"]);
      expect(r.versions.map((v) => [v.versionId, v.modes, v.fee, v.stored, v.generation])).to.deep.equal([
        ["1", "none,optimistic", "1500000000000000000", true, null],
        ["2", "none", "1000000000000000000", true, null],
      ]);
      const human = await ok(["model", "list"]);
      expect(human.stdout).to.contain("digits-mlp");
    });
  });

  describe("operators", () => {
    it("funds the operator and the requester from the governor", async () => {
      await ok(["token", "transfer", OPERATOR, "1500"], as(0));
      await ok(["token", "transfer", REQUESTER, "20"], as(0));
      const b = await json<{ balance: string }>(["token", "balance", OPERATOR]);
      expect(b.balance).to.equal(1500n * 10n ** 18n + "");
    });

    it("C2: register with less than the minimum stake reverts with the decoded error and a hint", async () => {
      await ok(["node", "stake", "500"], as(1));
      const r = await verity(["node", "register", "--endpoint", "http://127.0.0.1:7001", "--serve", "1"], as(1));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain(`NodeRegistryInsufficientStake(${OPERATOR}, 500 VRT, 1000 VRT)`);
      expect(r.stderr).to.contain("verity node stake");
    });

    it("stake (with a permit) and register make the node Active, and node status shows it", async () => {
      await ok(["node", "stake", "1000", "--permit"], as(1));
      await ok(["node", "register", "--endpoint", "http://127.0.0.1:7001", "--serve", "1,2"], as(1));
      const s = await json<{
        status: string;
        endpoint: string;
        servedVersions: string[];
        stake: Record<string, string>;
      }>(["node", "status", OPERATOR]);
      expect(s.status).to.equal("Active");
      expect(s.endpoint).to.equal("http://127.0.0.1:7001");
      expect(s.servedVersions).to.deep.equal(["1", "2"]);
      expect(s.stake).to.include({
        total: 1500n * 10n ** 18n + "",
        free: 1500n * 10n ** 18n + "",
        locked: "0",
        thawing: "0",
      });
    });

    it("thaw then withdraw: refused before the thawing period, paid after it", async () => {
      await ok(["node", "thaw", "10"], as(1));
      const early = await verity(["node", "withdraw"], as(1));
      expect(early.status).to.equal(2);
      expect(early.stderr).to.contain(`StakingNothingToWithdraw(${OPERATOR})`);
      const s = await json<{ stake: { thawing: string }; thawRequests: unknown[] }>(["node", "status"], as(1));
      expect(s.stake.thawing).to.equal(10n ** 19n + "");
      expect(s.thawRequests).to.have.length(1);
      await increaseTime(86_401);
      const w = await json<{ withdrawn: string }>(["node", "withdraw"], as(1));
      expect(w.withdrawn).to.equal(10n ** 19n + "");
    });
  });

  describe("requesters", () => {
    it("C2: request for an unknown version exits 2 with the decoded registry error", async () => {
      const r = await verity(["request", "--model", "9", "--input", digit], as(2));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("ModelRegistryUnknownVersion(9)");
      expect(r.stderr).to.contain("verity model list");
    });

    it("C2: request without the program in the local store exits 2 and says how to get it", async () => {
      const r = await verity(["request", "--model", "1", "--input", digit], {
        ...as(2),
        VERITY_HOME: path.join(dir, "empty-home"),
      });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("is not in the local store");
      expect(r.stderr).to.contain("verity model publish");
    });

    it("C1: request escrows the fee; result --verify reports MATCH and the predicted digit after an honest commitment", async () => {
      const r = await json<{ requestId: string; status: string; fee: string }>(
        ["request", "--model", "1", "--input", digit, "--node", OPERATOR],
        as(2),
      );
      expect(r).to.include({ requestId: "1", status: "Assigned", fee: 15n * 10n ** 17n + "" });
      await commitAsNode(1n);
      const v = await json<{
        status: string;
        predictedClass: number;
        verification: { verdict: string; predictedClass: number };
      }>(["result", "1", "--verify"]);
      expect(v.status).to.equal("Committed");
      expect(v.verification.verdict).to.equal("MATCH");
      expect(v.predictedClass).to.equal(label);
      expect(v.verification.predictedClass).to.equal(label);
    });

    it("request --wait --verify waits for the commitment, verifies it, and finalizes once the window has passed", async () => {
      const running = verity(
        [
          "request",
          "--model",
          "1",
          "--input",
          digit,
          "--node",
          OPERATOR,
          "--wait",
          "--verify",
          "--timeout",
          "40",
          "--json",
        ],
        as(2),
      );
      const im = InferenceManager__factory.connect(deployJson.addresses.inferenceManager, provider);
      while ((await im.requestCount()) < 2n) await new Promise((r) => setTimeout(r, 200));
      await commitAsNode(2n);
      await new Promise((r) => setTimeout(r, 1500));
      await increaseTime(3_601);
      const r = await running;
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as { status: string; verification: { verdict: string }; predictedClass: number };
      expect(out.status).to.equal("Finalized");
      expect(out.verification.verdict).to.equal("MATCH");
      expect(out.predictedClass).to.equal(label);
    });

    it("claim pays the node the fee of its finalized request, and refuses when nothing is left", async () => {
      const c = await json<{ inference: string; total: string }>(["claim"], as(1));
      expect(c).to.include({ inference: 15n * 10n ** 17n + "", total: 15n * 10n ** 17n + "" });
      const again = await verity(["claim"], as(1));
      expect(again.status).to.equal(2);
      expect(again.stderr).to.contain("has no credits to claim");
    });

    it("C1: result --verify exits 3 with MISMATCH when the node committed a wrong output", async () => {
      await ok(["request", "--model", "1", "--input", digit, "--node", OPERATOR], as(2));
      await commitAsNode(3n, true);
      const r = await verity(["result", "3", "--verify"]);
      expect(r.status).to.equal(3);
      expect(r.stdout).to.contain("MISMATCH");
      expect(r.stderr).to.contain("error: MISMATCH: request 3's commitment differs from the honest execution");
    });

    it("C1: result --verify finds a batched commitment in the commitBatch calldata (MATCH, and MISMATCH for a lying leaf)", async () => {
      await ok(["request", "--model", "1", "--input", digit, "--node", OPERATOR], as(2));
      await ok(["request", "--model", "1", "--input", digit, "--node", OPERATOR], as(2));
      const honest = await resultOf(4n);
      const lie = await resultOf(5n, true);
      await (
        await nodeManager().commitBatch(
          [4n, 5n],
          [keccak256(honest.output), keccak256(lie.output)],
          [honest.traceRoot, lie.traceRoot],
        )
      ).wait();
      const v = await json<{ status: string; committed: { via: string }; verification: { verdict: string } }>([
        "result",
        "4",
        "--verify",
      ]);
      expect(v.status).to.equal("Batched");
      expect(v.committed.via).to.equal("batch");
      expect(v.verification.verdict).to.equal("MATCH");
      const bad = await verity(["result", "5", "--verify"]);
      expect(bad.status).to.equal(3);
      expect(bad.stdout).to.contain("MISMATCH");
    });

    it("C3: result of a batched request recomputes its output and shows it only when it hashes to the leaf", async () => {
      const honest = await resultOf(4n);
      const shown = await json<{
        output: number[] | null;
        outputFrom: string;
        recomputed: { outputHash: string; matchesLeaf: boolean };
      }>(["result", "4"]);
      expect(shown.outputFrom).to.equal("recomputed");
      expect(shown.recomputed).to.deep.equal({ outputHash: keccak256(honest.output), matchesLeaf: true });
      expect(shown.output).to.have.length(10);
      const hidden = await json<{
        output: number[] | null;
        outputFrom: string | null;
        recomputed: { matchesLeaf: boolean };
      }>(["result", "5"]);
      expect(hidden.output).to.equal(null);
      expect(hidden.outputFrom).to.equal(null);
      expect(hidden.recomputed.matchesLeaf).to.equal(false);
      const text = await verity(["result", "5"]);
      expect(text.status).to.equal(0);
      expect(text.stdout).to.contain("does NOT hash to the leaf's outputHash");
    });

    it("result of a request that does not exist exits 2", async () => {
      const r = await verity(["result", "77"]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("request 77 does not exist");
    });

    it("R10-10 request --redundant 2 names two eligible nodes (a clear exit 2 while fewer are eligible), --nodes names them; bad counts exit 2", async () => {
      type Report = {
        redundantRequestId: string;
        status: string;
        k: number;
        committed: number;
        feePerNode: string;
        slots: { node: string; status: string }[];
      };
      const args = ["request", "--model", "1", "--input", digit, "--redundant", "2"];
      // Only the operator serves version 1 so far.
      const few = await verity(args, as(2));
      expect(few.status).to.equal(2);
      expect(few.stderr).to.contain("only 1 node(s) are eligible for version 1; --redundant 2 needs 2");
      // A second operator stakes and registers.
      await ok(["token", "transfer", SECOND, "1000"], as(0));
      await ok(["node", "stake", "1000"], as(3));
      await ok(["node", "register", "--endpoint", "http://127.0.0.1:7003", "--serve", "1"], as(3));
      const r = await json<Report>(args, as(2));
      expect(r).to.include({
        redundantRequestId: "1",
        status: "Open",
        k: 2,
        committed: 0,
        feePerNode: 15n * 10n ** 17n + "",
      });
      expect(r.slots.map((x) => x.node).sort()).to.deep.equal([OPERATOR, SECOND].sort());
      expect(r.slots.map((x) => x.status)).to.deep.equal(["Named", "Named"]);
      // --nodes: these two, in this order (slot i is node i).
      const named = await json<Report>([...args, "--nodes", `${SECOND},${OPERATOR}`], as(2));
      expect(named.redundantRequestId).to.equal("2");
      expect(named.slots.map((x) => x.node)).to.deep.equal([SECOND, OPERATOR]);
      const ineligible = await verity([...args, "--nodes", `${OPERATOR},${GOVERNOR}`], as(2));
      expect(ineligible.status).to.equal(2);
      expect(ineligible.stderr).to.contain(`node ${GOVERNOR} is not eligible for version 1`);
      const count = await verity(
        ["request", "--model", "1", "--input", digit, "--redundant", "3", "--nodes", `${OPERATOR},${SECOND}`],
        as(2),
      );
      expect(count.status).to.equal(2);
      expect(count.stderr).to.contain("--nodes names 2 node(s) but --redundant asks 3");
      const twice = await verity([...args, "--nodes", `${OPERATOR},${OPERATOR}`], as(2));
      expect(twice.status).to.equal(2);
      expect(twice.stderr).to.contain(`--nodes names ${OPERATOR} twice`);
      const bad = await verity(["request", "--model", "1", "--input", digit, "--redundant", "1"], as(2));
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain("--redundant '1' is not a node count");
    });
  });

  describe("everyone", () => {
    it("status shows models, nodes and stakes, requests, commitments and disputes", async () => {
      const s = await json<{
        models: unknown[];
        nodes: { address: string; stake: { locked: string } }[];
        requests: { requestId: string; status: string }[];
        disputes: unknown[];
      }>(["status"]);
      expect(s.models).to.have.length(2);
      expect(s.nodes.map((n) => n.address).sort()).to.deep.equal([OPERATOR, SECOND].sort()); // SECOND: redundant requests
      expect(s.nodes.find((n) => n.address === OPERATOR)!.stake.locked).to.equal(4n * 15n * 10n ** 18n + ""); // requests 1, 3 and the batch of 4, 5 lock fee x 10 each
      expect(s.requests.map((r) => [r.requestId, r.status])).to.deep.equal([
        ["5", "Batched"],
        ["4", "Batched"],
        ["3", "Committed"],
        ["2", "Finalized"],
        ["1", "Committed"],
      ]);
      expect(s.disputes).to.deep.equal([]);
      const human = await ok(["status"]);
      for (const title of ["Models", "Nodes and stakes", "Open requests", "Commitments", "Disputes"])
        expect(human.stdout).to.contain(title);
    });

    it("node exit moves to Exiting, and completing it is refused while collateral is locked", async () => {
      const first = await json<{ from: string; status: string }>(["node", "exit"], as(1));
      expect(first).to.include({ from: "Active", status: "Exiting" });
      const second = await verity(["node", "exit"], as(1));
      expect(second.status).to.equal(2);
      expect(second.stderr).to.contain("collateral is still locked");
    });
  });

  // After "everyone": the operator is Exiting, the second operator (account 3) serves version 1.
  describe("the first hour on a chain (issue 13)", () => {
    const im = () => InferenceManager__factory.connect(deployJson.addresses.inferenceManager, provider);

    it("refuses unknown config file keys by name", async () => {
      const config = path.join(dir, "typo.json");
      fs.writeFileSync(config, JSON.stringify({ rpc: url, deploymnet: "x.json" }));
      const r = await verity(["status", "--config", config]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain(`unknown key(s): "deploymnet"`);
      expect(r.stderr).to.contain('"rpc", "key", "deployment"');
    });

    it("calls a mistyped address a bad checksum, not a malformed one", async () => {
      const r = await verity(["token", "balance", "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"]);
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("has a bad checksum");
    });

    it("refuses a deployment record made on another chain (its genesis), in deploy and in every command", async () => {
      const other = `${deploymentId}-other`;
      const otherDir = path.join(ROOT, "ignition", "deployments", other);
      try {
        fs.mkdirSync(otherDir, { recursive: true });
        fs.copyFileSync(deployJson.deployment, path.join(otherDir, "deployed_addresses.json"));
        const record = JSON.parse(
          fs.readFileSync(path.join(path.dirname(deployJson.deployment), "verity-chain.json"), "utf8"),
        );
        expect(record.genesisHash).to.equal((await provider.getBlock(0))!.hash);
        fs.writeFileSync(
          path.join(otherDir, "verity-chain.json"),
          JSON.stringify({ chainId: "31337", genesisHash: `0x${"ab".repeat(32)}` }),
        );
        const s = await verity(["status", "--deployment", otherDir]);
        expect(s.status).to.equal(2);
        expect(s.stderr).to.match(/was made on chain 31337 with genesis 0xabababab…, not on this chain/);
        const d = await verity(["deploy", "--deployment-id", other], as(0));
        expect(d.status).to.equal(2);
        expect(d.stderr).to.contain(`the Ignition deployment '${other}' belongs to another chain`);
        expect(d.stderr).to.contain("--reset");
      } finally {
        fs.rmSync(otherDir, { recursive: true, force: true });
      }
    });

    it("model publish refuses --fee 0 (every request would revert)", async () => {
      const r = await verity(["model", "publish", "mlp", "--name", "free", "--fee", "0"], as(0));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("--fee 0");
    });

    it("node register refuses a version whose program is not in the local store", async () => {
      const r = await verity(["node", "register", "--endpoint", "http://127.0.0.1:7009", "--serve", "1"], {
        ...as(4),
        VERITY_HOME: path.join(dir, "empty-home"),
      });
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("the program of version 1 is not in the local store");
      expect(r.stderr).to.contain("--no-store-check");
    });

    it("thaw above the free stake says so, instead of 'stake more'", async () => {
      const r = await verity(["node", "thaw", "5000"], as(3));
      expect(r.status).to.equal(2);
      expect(r.stderr).to.contain("of free stake, less than the 5000 VRT asked to thaw");
      expect(r.stderr).to.not.contain("stake more");
    });

    it("node unserve and unjail, model deprecate", async () => {
      await ok(["node", "register", "--endpoint", "http://127.0.0.1:7003", "--serve", "2"], as(3));
      const u = await json<{ servedVersions: string[] }>(["node", "unserve", "2"], as(3));
      expect(u.servedVersions).to.deep.equal(["1"]);
      const again = await verity(["node", "unserve", "2"], as(3));
      expect(again.status).to.equal(2);
      expect(again.stderr).to.contain("does not serve version(s) 2");
      const notJailed = await verity(["node", "unjail", SECOND], as(0));
      expect(notJailed.status).to.equal(2);
      expect(notJailed.stderr).to.contain("is Active, not Jailed");
      await json(["model", "deprecate", "2"], as(0));
      const list = await json<{ versions: { versionId: string; deprecated: boolean }[] }>(["model", "list"]);
      expect(list.versions.find((v) => v.versionId === "2")?.deprecated).to.equal(true);
    });

    it("refund credits an unserved request's fee back once its deadline has passed", async () => {
      await ok(["request", "--model", "1", "--input", digit, "--node", SECOND], as(2));
      const id = await im().requestCount();
      const early = await verity(["refund", String(id)], as(2));
      expect(early.status).to.equal(2);
      expect(early.stderr).to.contain("can be refunded from");
      await increaseTime(7_201); // requestTimeout, as "params set" left it
      const r = await json<{ refunded: string }>(["refund", String(id)], as(2));
      expect(r.refunded).to.equal(15n * 10n ** 17n + "");
    });

    it("request --wait on a chain that mines only on transactions: the verdict first, progress lines, then exit 4 saying why", async () => {
      const running = verity(
        ["request", "--model", "1", "--input", digit, "--node", SECOND, "--wait", "--verify", "--timeout", "12"],
        as(2),
      );
      const before = await im().requestCount();
      while ((await im().requestCount()) === before) await new Promise((r) => setTimeout(r, 200));
      await commitAsNode(before + 1n, false, KEYS[3]);
      const r = await running;
      expect(r.status, r.stderr).to.equal(4);
      expect(r.stdout).to.match(/verify\s+MATCH/); // printed before the wait failed
      expect(r.stderr).to.match(
        new RegExp(`waiting for request ${before + 1n}: Committed; challenge window ends in \\d+ s`),
      );
      expect(r.stderr).to.contain("after --timeout 12");
      expect(r.stderr).to.contain("mines a block only when a transaction arrives");
      expect(r.stderr).to.contain("verity dev");
    });

    it("serialises concurrent sends from one key (no 'replacement fee too low')", async () => {
      const runs = await Promise.all([1, 2, 3].map(() => verity(["token", "transfer", SECOND, "1"], as(0))));
      for (const r of runs) expect(r.status, r.stderr).to.equal(0);
    });

    it("C2: a key without native gas: exit 2 with a hint, no stack", async () => {
      const broke = Wallet.createRandom().privateKey;
      const r = await verity(["token", "transfer", GOVERNOR, "0"], { VERITY_PRIVATE_KEY: broke });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.contain("cannot pay for gas");
      expect(r.stderr).to.contain("hint: fund the signing account");
      expect(r.stderr).to.not.contain("unexpected error");
    });

    it("deploy on a chain other than 31337 without --yes and without a terminal: exit 2, re-run with --yes", async () => {
      const other = await startAnvil({ blockTime: 0, chainId: 4321 });
      try {
        const r = await verity(["deploy", "--rpc", other.url, "--deployment-id", `${deploymentId}-4321`], as(0));
        expect(r.status, r.stderr).to.equal(2);
        expect(r.stderr).to.contain("deploying Protocol to chain 4321"); // progress lines without a terminal
        expect(r.stderr).to.contain("re-run with --yes");
        expect(r.stderr).to.not.contain("does not exist");
      } finally {
        await other.stop();
        fs.rmSync(path.join(ROOT, "ignition", "deployments", `${deploymentId}-4321`), { recursive: true, force: true });
      }
    });

    it("check-deployment without a key fails rather than pass unchecked roles, and checks them read-only given the governor", async () => {
      const run = (extra: Record<string, string>) =>
        new Promise<{ status: number | null; out: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            [HARDHAT_BIN, "run", "scripts/check-deployment.ts", "--network", "remote"],
            {
              cwd: ROOT,
              env: {
                ...process.env,
                VERITY_RPC_URL: url,
                VERITY_PRIVATE_KEY: "",
                VERITY_DEPLOYMENT: deploymentId,
                ...extra,
              },
            },
          );
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.stderr.on("data", (d: Buffer) => (out += d.toString()));
          child.on("close", (status) => resolve({ status, out }));
        });
      const [without, given] = await Promise.all([run({}), run({ VERITY_GOVERNOR: GOVERNOR })]);
      expect(without.status, without.out).to.equal(1);
      expect(without.out).to.contain("not checked, for want of the governor's address");
      expect(without.out).to.not.contain("All checks passed");
      expect(given.out).to.contain("GOVERNOR_ROLE");
      expect(given.out).to.not.contain("not checked, for want");
    });
  });
});
