/**
 * The TEE mode through the `verity` CLI, end to end, against a real JSON-RPC chain (a `hardhat node` on a free
 * loopback port, killed with its process group in `after`): deploy, publish the demo MLP with the TEE mode, stake and
 * register a node, create a software enclave key, approve its measurement and a local attestation-service key, bind
 * the key with `node tee-register`, run `node serve --mode tee --enclave-key`, and request with `--mode tee --wait`:
 * the result is final at once, settled by the TeeSettler with the enclave key's signature.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { JsonRpcProvider, Wallet } from "ethers";

import { InferenceManager__factory, TeeSettler__factory } from "../../typechain-types";
import { UNDER_COVERAGE } from "../helpers/coverage";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "verity.js");
const HARDHAT = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
// Hardhat's well-known development accounts (mnemonic "test test … junk").
const KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", // governor / publisher
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", // operator
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", // requester
];
const [, OPERATOR, REQUESTER] = KEYS.map((k) => new Wallet(k).address);
const SERVICE = new Wallet("0x" + "5e".repeat(32)); // the local attestation service's key

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

(UNDER_COVERAGE ? describe.skip : describe)("TEE mode through the verity CLI (node serve --mode tee)", function () {
  this.timeout(180_000);
  let chain: ChildProcess | undefined;
  let daemon: ChildProcess | undefined;
  let dir: string;
  let url: string;
  let deploymentId: string;
  let env: Record<string, string>;
  let provider: JsonRpcProvider | undefined;

  function verity(args: string[], key?: number): Promise<Run> {
    return new Promise((resolve) => {
      const extra = key === undefined ? {} : { VERITY_PRIVATE_KEY: KEYS[key] };
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ...env, ...extra } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (status) => {
        clearTimeout(timer);
        resolve({ status, stdout, stderr });
      });
    });
  }
  async function ok(args: string[], key?: number): Promise<Run> {
    const r = await verity(args, key);
    expect(r.status, `verity ${args.join(" ")}\n${r.stderr}${r.stdout}`).to.equal(0);
    return r;
  }
  const json = async <T>(args: string[], key?: number): Promise<T> =>
    JSON.parse((await ok([...args, "--json"], key)).stdout) as T;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-tee-cli-"));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    deploymentId = `tee-cli-test-${port}-${process.pid}`;
    env = {
      VERITY_RPC_URL: url,
      VERITY_HOME: path.join(dir, ".verity"),
      VERITY_PRIVATE_KEY: "",
      VERITY_DEPLOYMENT: "",
    };
    chain = spawn(process.execPath, [HARDHAT, "node", "--hostname", "127.0.0.1", "--port", String(port)], {
      cwd: ROOT,
      detached: true,
      stdio: "ignore",
    });
    const started = Date.now();
    for (;;) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        });
        await res.json();
        break;
      } catch {
        if (Date.now() - started > 40_000) throw new Error(`hardhat node did not answer on ${url}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    provider = new JsonRpcProvider(url, undefined, { staticNetwork: true });
    // The demo model's calibration (the first 64 digits, scripts/lib/demo-models.ts): the daemon serves the demo
    // MLP's artifact with the demo program, so the published program must be that one.
    const cal = JSON.parse(fs.readFileSync(path.join(ROOT, "models", "digits-calibration.json"), "utf8")) as {
      images: number[][];
      labels: number[];
    };
    const test = JSON.parse(fs.readFileSync(path.join(ROOT, "models", "digits-test.json"), "utf8")) as {
      images: number[][];
    };
    fs.writeFileSync(
      path.join(dir, "cal.json"),
      JSON.stringify({ images: cal.images.slice(0, 64), labels: cal.labels.slice(0, 64) }),
    );
    fs.writeFileSync(path.join(dir, "digit.json"), JSON.stringify(test.images[0]));
    fs.copyFileSync(path.join(ROOT, "models", "mlp.onnx"), path.join(dir, "mlp.onnx"));
    const deployed = await json<{ deployment: string }>(["deploy", "--deployment-id", deploymentId], 0);
    env.VERITY_DEPLOYMENT = deployed.deployment;
  });

  after(() => {
    killGroup(daemon);
    provider?.destroy();
    killGroup(chain);
    fs.rmSync(path.join(ROOT, "ignition", "deployments", deploymentId), { recursive: true, force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a node with a software enclave key serves a TEE request for the demo MLP, final at once", async () => {
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
    daemon = spawn(
      process.execPath,
      [BIN, "node", "serve", "--mode", "tee", "--enclave-key", "enclave.json", "--poll-ms", "200"],
      { cwd: dir, env: { ...process.env, ...env, VERITY_PRIVATE_KEY: KEYS[1] }, detached: true },
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
    const settler = TeeSettler__factory.connect(shown.settler, provider);
    const [ev] = await settler.queryFilter(settler.filters.TeeResultSettled(BigInt(r.requestId)), 0);
    expect(ev.args.enclaveKey).to.equal(key.enclaveKey);
    expect(ev.args.node).to.equal(OPERATOR);
    const im = InferenceManager__factory.connect(await settler.inferenceManager(), provider);
    expect(await im.statusOf(BigInt(r.requestId))).to.equal(5n); // Finalized, with no challenge window
  });
});
