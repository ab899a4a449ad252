/**
 * ZK-mode fixtures: the test circuit (a 6-4-3 MLP: 474 constraints, small enough for a 2^9 setup), set up once per test run into
 * a temporary folder, and a protocol deployment with a ZkSettler and the test model's verifier registered.
 *
 * The prepared powers of tau (the slow, circuit-independent part of the setup) are kept in `cache/zk/` (gitignored,
 * as Hardhat's own cache), so only the first run on a fresh clone pays for them; the circuit's phase 2 is always
 * run again.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ethers } from "hardhat";
import type { InterfaceAbi, Signer } from "ethers";

import { encodeProgram, type Program } from "../../executor/runtime/program";
import { weightsRoot } from "../../executor/trace/weights";
import { zkMlpProgram } from "../../modes/zk/model";
import { zkSetup, type ZkArtifacts, type ZkMeta } from "../../modes/zk/setup";
import { compileVerifier, type CompiledVerifier } from "../../modes/zk/verifier";
import type { ZkSettler } from "../../typechain-types";
import { MODE, versionSpec } from "./fixtures";
import { deployInferenceFixture, type InferenceFixture } from "./inference-fixtures";

export const ZK_SIZES = [6, 4, 3] as const;
export const ZK_VERSION = 3n; // after the inference fixture's two versions
export const PTAU_CACHE = path.join(__dirname, "..", "..", "cache", "zk");

export interface ZkCircuitFixture {
  program: Program;
  files: ZkArtifacts;
  meta: ZkMeta;
  verifier: CompiledVerifier;
  setupSeconds: number;
}

let circuit: Promise<ZkCircuitFixture> | undefined;
let circuitDir: string | undefined;

/**
 * The test circuit, set up once per process (compile, setup, verifier export and compilation) and shared by every
 * ZK suite; its temporary folder is removed when the process exits.
 */
export function zkCircuit(): Promise<ZkCircuitFixture> {
  circuit ??= (async () => {
    const t0 = Date.now();
    const program = zkMlpProgram(ZK_SIZES);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-zk-"));
    circuitDir = dir;
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const { files, meta } = await zkSetup(program, dir, { ptauCache: PTAU_CACHE });
    const verifier = compileVerifier(fs.readFileSync(files.verifier, "utf8"));
    return { program, files, meta, verifier, setupSeconds: (Date.now() - t0) / 1000 };
  })();
  return circuit;
}

/** The test circuit's temporary folder, once `zkCircuit()` has started. */
export function zkCircuitDir(): string | undefined {
  return circuitDir;
}

export interface ZkFixture extends InferenceFixture {
  zk: ZkCircuitFixture;
  settler: ZkSettler;
  verifierAddress: string;
}

/** Deploys a compiled verifier; returns its address. */
export async function deployVerifier(v: CompiledVerifier, signer: Signer): Promise<string> {
  const factory = new ethers.ContractFactory(v.abi as InterfaceAbi, v.bytecode, signer);
  const c = await factory.deploy();
  await c.waitForDeployment();
  return c.getAddress();
}

/**
 * The inference fixture, plus: the test model published by `publisher` as version ZK_VERSION (its real weights root
 * and program digest, ZK mode only), a ZkSettler set as the manager's ZK settler, the model's Groth16 verifier
 * deployed and registered, and node 0 serving the version. Load it with `loadFixture` (it deploys the inference
 * fixture itself, without nesting `loadFixture`).
 */
export async function deployZkFixture(): Promise<ZkFixture> {
  const zk = await zkCircuit();
  const f = await deployInferenceFixture();
  await f.models.connect(f.publisher).publishModel(
    "zk-mlp",
    versionSpec({
      programDigest: ethers.keccak256(encodeProgram(zk.program)),
      weightsRoot: weightsRoot(zk.program),
      layerCount: zk.program.layers.length,
      inputShape: [1, ZK_SIZES[0]],
      outputShape: [1, ZK_SIZES[ZK_SIZES.length - 1]],
      modes: MODE.ZK,
    }),
  );
  const settler = (await ethers.deployContract("ZkSettler", [
    await f.manager.getAddress(),
    await f.models.getAddress(),
    f.governor.address,
  ])) as unknown as ZkSettler;
  await f.manager.connect(f.governor).setModeSettler(MODE.ZK, await settler.getAddress());
  const verifierAddress = await deployVerifier(zk.verifier, f.publisher);
  await settler.connect(f.publisher).registerVerifier(ZK_VERSION, verifierAddress);
  await f.nodes.connect(f.node).serveVersions([ZK_VERSION]);
  return { ...f, zk, settler, verifierAddress };
}
