/**
 * The TEE mode through the `verity` CLI, end to end, against a real JSON-RPC chain (anvil on a free loopback port,
 * test/helpers/cli-chain.ts, killed in `after`): deploy, publish the demo MLP with the TEE mode, stake and
 * register a node, create a software enclave key, approve its measurement and a local attestation-service key, bind
 * the key with `node tee-register`, run `node serve --mode tee --enclave-key`, and request with `--mode tee --wait`:
 * the result is final at once, settled by the TeeSettler with the enclave key's signature.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import type { ChildProcess } from "child_process";
import { Wallet } from "ethers";

import { DEV_KEYS } from "../../tools/network/processes";
import { InferenceRequestStatus } from "../../protocol/constants";
import { InferenceManager__factory, TeeSettler__factory } from "../../typechain-types";
import { asKey, CliChain, writeLanguageModelDir, type CliRun } from "../helpers/cli-chain";
import { UNDER_COVERAGE } from "../helpers/coverage";

// Hardhat's development accounts 0 (governor / publisher), 1 (operator), 2 (requester).
const [, OPERATOR, REQUESTER] = DEV_KEYS.map((k) => new Wallet(k).address);
const SERVICE = new Wallet("0x" + "5e".repeat(32)); // the local attestation service's key

(UNDER_COVERAGE ? describe.skip : describe)("TEE mode through the verity CLI (node serve --mode tee)", function () {
  this.timeout(180_000);
  let cli: CliChain;
  /** The node daemon the first test starts (the second restarts it to serve the new version at once). */
  let daemon: ChildProcess | undefined;

  const verity = (args: string[], key?: number): Promise<CliRun> =>
    cli.verity(args, key === undefined ? {} : asKey(key));
  const ok = (args: string[], key?: number): Promise<CliRun> => cli.ok(args, key === undefined ? {} : asKey(key));
  const json = <T>(args: string[], key?: number): Promise<T> => cli.json<T>(args, key === undefined ? {} : asKey(key));

  before(async function () {
    cli = await CliChain.start("tee-cli-test");
    // The demo model's calibration (the first 64 digits, models/demo-models.ts): the daemon serves the demo
    // MLP's artifact with the demo program, so the published program must be that one.
    const root = path.join(__dirname, "..", "..");
    const cal = JSON.parse(fs.readFileSync(path.join(root, "models", "digits-calibration.json"), "utf8")) as {
      images: number[][];
      labels: number[];
    };
    const test = JSON.parse(fs.readFileSync(path.join(root, "models", "digits-test.json"), "utf8")) as {
      images: number[][];
    };
    fs.writeFileSync(
      path.join(cli.dir, "cal.json"),
      JSON.stringify({ images: cal.images.slice(0, 64), labels: cal.labels.slice(0, 64) }),
    );
    fs.writeFileSync(path.join(cli.dir, "digit.json"), JSON.stringify(test.images[0]));
    fs.copyFileSync(path.join(root, "models", "mlp.onnx"), path.join(cli.dir, "mlp.onnx"));
    const deployed = await json<{ deployment: string }>(["deploy", "--deployment-id", cli.deploymentId], 0);
    cli.env.VERITY_DEPLOYMENT = deployed.deployment;
  });

  after(() => cli?.stop());

  it("T8: a node with a software enclave key serves a TEE request for the demo MLP, final at once", async () => {
    // publisher, operator and requester set up
    await ok(["model", "import", "mlp.onnx", "-c", "cal.json", "-o", "mlp"]);
    await ok(["model", "publish", "mlp", "--name", "digits-mlp", "--modes", "optimistic,tee"], 0);
    await ok(["token", "transfer", OPERATOR, "1500"], 0);
    await ok(["token", "transfer", REQUESTER, "20"], 0);
    await ok(["node", "stake", "1000"], 1);
    await ok(["node", "register", "--endpoint", "http://127.0.0.1:7001", "--serve", "1"], 1);

    // the enclave key, labelled as software, then governance and the binding
    const keygen = await verity(["node", "tee-keygen", "enclave.json", "--json"]);
    expect(keygen.status, keygen.stderr).to.equal(0);
    expect(keygen.stderr).to.contain("software enclave key: NOT hardware-protected");
    const key = JSON.parse(keygen.stdout) as { enclaveKey: string; measurement: string; hardwareProtected: boolean };
    expect(key.hardwareProtected).to.equal(false);
    await ok(["tee", "add-service-key", SERVICE.address], 0);
    await ok(["tee", "approve-measurement", key.measurement], 0);
    const reg = await verity(
      ["node", "tee-register", "--enclave-key", "enclave.json", "--service-key", SERVICE.privateKey],
      1,
    );
    expect(reg.status, reg.stderr).to.equal(0);
    expect(reg.stdout).to.contain("NOT hardware-protected");
    const shown = await json<{ settler: string; enclave: { node: string; active: boolean } }>([
      "tee",
      "show",
      "--enclave",
      key.enclaveKey,
    ]);
    expect(shown.enclave).to.include({ node: OPERATOR, active: true });

    // the daemon in TEE mode, and a TEE request
    daemon = cli.spawnVerity(
      ["node", "serve", "--mode", "tee", "--enclave-key", "enclave.json", "--poll-ms", "200"],
      asKey(1),
    );
    let daemonErr = "";
    let daemonOut = "";
    daemon.stderr!.on("data", (d: Buffer) => (daemonErr += d.toString()));
    daemon.stdout!.on("data", (d: Buffer) => (daemonOut += d.toString()));
    const r = await json<{ requestId: string; status: string }>(
      [
        "request",
        "--model",
        "1",
        "--input",
        "digit.json",
        "--node",
        OPERATOR,
        "--mode",
        "tee",
        "--wait",
        "--timeout",
        "30",
      ],
      2,
    );
    expect(daemonErr).to.contain("software enclave key: NOT hardware-protected");
    expect(daemonOut).to.contain("result settled in tee mode");
    const settler = TeeSettler__factory.connect(shown.settler, cli.provider);
    const [ev] = await settler.queryFilter(settler.filters.TeeResultSettled(BigInt(r.requestId)), 0);
    expect(ev.args.enclaveKey).to.equal(key.enclaveKey);
    expect(ev.args.node).to.equal(OPERATOR);
    const im = InferenceManager__factory.connect(await settler.inferenceManager(), cli.provider);
    expect(await im.statusOf(BigInt(r.requestId))).to.equal(InferenceRequestStatus.Finalized); // with no challenge window
  });
  it("verity generate --mode tee --wait --verify: the node settles a generation of the byte LM through its enclave, final at once, MATCH", async () => {
    // The LM's program directory, as `verity model import models/lm/byte-lm.onnx -c models/lm/calibration.json`
    // writes it, published as a generation version with the TEE mode, and served by the node.
    writeLanguageModelDir(cli.dir);
    const published = await json<{ versionId: string }>(
      ["model", "publish", "lm", "--name", "byte-lm", "--generation", "--max-tokens", "8", "--max-prompt", "32"].concat(
        ["--modes", "optimistic,tee"],
      ),
      0,
    );
    await ok(["node", "register", "--endpoint", "http://127.0.0.1:7001", "--serve", published.versionId], 1);
    // A fresh daemon (on its own journal) reads the versions it serves at once.
    daemon?.kill("SIGKILL");
    const served = cli.spawnVerity(
      ["node", "serve", "--mode", "tee", "--enclave-key", "enclave.json", "--poll-ms", "200"].concat([
        "--journal",
        path.join(cli.dir, "journal-generation.jsonl"),
      ]),
      asKey(1),
    );
    let out = "";
    served.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const zk = await verity(["generate", "--model", "byte-lm", "--prompt", "x", "--mode", "zk"], 2);
    expect(zk.status).to.equal(2);
    expect(zk.stderr).to.contain("cannot be asked in the zk mode");
    const r = await cli.verity(
      [
        "generate",
        "--model",
        "byte-lm",
        "--prompt",
        "The jury said that",
        "--max-tokens",
        "8",
        "--node",
        OPERATOR,
      ].concat(["--mode", "tee", "--wait", "--verify", "--timeout", "60", "--json"]),
      asKey(2),
    );
    expect(r.status, r.stderr + out).to.equal(0);
    const report = JSON.parse(r.stdout) as {
      requestId: string;
      status: string;
      text: string;
      generation: { verdict: string };
    };
    expect(report.status).to.equal("Finalized");
    expect(report.generation.verdict).to.equal("MATCH");
    expect(report.text.length).to.be.greaterThan(0);
    expect(out).to.contain("result settled in tee mode");
  });
});
