import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { buildManifest } from "../../cli/model-source";
import { encodeProgram, type Program } from "../../executor/runtime/program";
import { weightsRoot } from "../../executor/trace/weights";
import { zkMlpProgram } from "../../modes/zk/model";
import { preparedTau } from "../../modes/zk/setup";
import { PTAU_CACHE, ZK_SIZES } from "../helpers/zk-fixtures";

// `verity model zk-setup <program dir>`: writes the circuit and the keys into the program's store folder and prints
// the constraint count; an unsupported program exits 2 naming the operator.

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "verity.js");

function writeProgramDir(dir: string, p: Program): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "program.bin"), encodeProgram(p));
  const manifest = buildManifest(p, new TextEncoder().encode(`onnx bytes of ${p.name}`));
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
}

describe("Z9: verity model zk-setup", function () {
  this.timeout(120_000);
  let home: string;
  let ptau: string;

  before(async function () {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "verity-zk-cli-"));
    ptau = await preparedTau(9, { ptauCache: PTAU_CACHE }, home);
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  const verity = (...args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 100_000,
      env: { ...process.env, VERITY_HOME: home },
    });

  it("writes circuit, r1cs, wasm, zkey, vkey and verifier into the program's store folder, with progress", function () {
    const p = zkMlpProgram(ZK_SIZES);
    const dir = path.join(home, "mlp");
    writeProgramDir(dir, p);
    const r = verity("model", "zk-setup", dir, "--ptau", ptau, "--json");
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { dir: string; constraints: number; weightsRoot: string; power: number };
    expect(out.constraints).to.equal(474);
    expect(out.power).to.equal(9);
    expect(out.weightsRoot).to.equal(weightsRoot(p));
    expect(out.dir.startsWith(path.join(home, "store"))).to.equal(true);
    expect(path.basename(out.dir)).to.equal("zk");
    for (const f of [
      "circuit.circom",
      "circuit.r1cs",
      "circuit_js/circuit.wasm",
      "circuit.zkey",
      "circuit.vkey.json",
      "circuitVerifier.sol",
    ]) {
      expect(fs.existsSync(path.join(out.dir, f)), f).to.equal(true);
    }
    expect(fs.readFileSync(path.join(out.dir, "circuitVerifier.sol"), "utf8")).to.contain("contract Groth16Verifier");
    expect(r.stderr).to.contain("phase 2: circuit key (474 constraints)");
  });

  it("exits 2 naming the operator for a program ZK mode does not support", function () {
    const p = zkMlpProgram(ZK_SIZES);
    const last = p.layers.length;
    p.layers.push({
      op: "Lut",
      inputs: [last],
      output: last + 1,
      outShape: [...p.outputShape],
      attrs: {},
      lut: new Int8Array(256),
    });
    const dir = path.join(home, "lut");
    writeProgramDir(dir, p);
    const r = verity("model", "zk-setup", dir, "--ptau", ptau);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/node 'layer 2' uses Lut/);
  });
});
