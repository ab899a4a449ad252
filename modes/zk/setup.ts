/**
 * ZK mode tooling around circom2 and snarkjs (docs/ZK.md): compile a generated circuit, run a local Groth16 setup
 * (powers of tau with one local contribution, then a circuit-specific phase 2 with one local contribution),
 * export the verifying key and snarkjs' Solidity verifier, compute witnesses and prove.
 *
 * The local setup is for development and tests only: whoever ran it knows the toxic waste and can forge proofs.
 * docs/ZK.md describes the multi-party ceremony a production version would use.
 */
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";
import { VerityError } from "../../executor/errors";
import type { Program } from "../../executor/runtime/program";
import { circuitInput, generateCircuit, publicSignals, type ZkCircuit } from "./circuit";

/** A circom or snarkjs step failed (the message carries the tool's output). */
export class ZkToolError extends VerityError {}

/** Groth16 proof as snarkjs prints it (decimal strings, projective coordinates). */
export interface SnarkProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: string;
  curve: string;
}

/** The proof as the Solidity verifier takes it (pi_b's coordinates swapped into EIP-197 order). */
export interface SolidityProof {
  a: [bigint, bigint];
  b: [[bigint, bigint], [bigint, bigint]];
  c: [bigint, bigint];
}

interface SnarkJs {
  powersOfTau: {
    newAccumulator(curve: unknown, power: number, file: string, logger?: unknown): Promise<unknown>;
    contribute(oldFile: string, newFile: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    preparePhase2(oldFile: string, newFile: string, logger?: unknown): Promise<unknown>;
  };
  zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    contribute(oldFile: string, newFile: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    exportVerificationKey(zkey: string): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>): Promise<string>;
  };
  groth16: {
    fullProve(
      input: Record<string, string[]>,
      wasm: string,
      zkey: string,
    ): Promise<{ proof: SnarkProof; publicSignals: string[] }>;
    verify(vkey: Record<string, unknown>, publicSignals: string[], proof: SnarkProof): Promise<boolean>;
  };
  curves: { getCurveFromName(name: string): Promise<{ terminate(): Promise<void> }> };
}

interface WitnessCalculator {
  calculateWitness(input: Record<string, string[]>, sanityCheck: boolean): Promise<bigint[]>;
}

// snarkjs and circom_runtime ship no type declarations: load them through require with the narrow types above,
// lazily, so that loading this module (e.g. by the CLI for any command) costs nothing.
type CircomRuntime = {
  WitnessCalculatorBuilder(wasm: Uint8Array, opts?: object): Promise<WitnessCalculator>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snarkjsLib = (): SnarkJs => require("snarkjs") as SnarkJs;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const circomRuntimeLib = (): CircomRuntime => require("circom_runtime") as CircomRuntime;

/** The files of one circuit, all in one folder, named after the circuit. */
export interface ZkArtifacts {
  dir: string;
  name: string;
  circom: string;
  r1cs: string;
  wasm: string;
  zkey: string;
  vkey: string;
  verifier: string;
  /** circuit.json: the circuit's metadata (sizes, weights root, constraint count). */
  meta: string;
}

export interface ZkMeta {
  nIn: number;
  nOut: number;
  weightsRoot: string;
  constraints: number;
  power: number;
}

export function zkArtifacts(dir: string, name = "circuit"): ZkArtifacts {
  const f = (ext: string) => path.join(dir, `${name}${ext}`);
  return {
    dir,
    name,
    circom: f(".circom"),
    r1cs: f(".r1cs"),
    wasm: path.join(dir, `${name}_js`, `${name}.wasm`),
    zkey: f(".zkey"),
    vkey: f(".vkey.json"),
    verifier: f("Verifier.sol"),
    meta: f(".json"),
  };
}

export type ZkProgress = (stage: string) => void;

const execFileP = promisify(execFile);

/** Writes and compiles the circuit of `p` into `dir` (r1cs + witness wasm); returns the circuit and its size. */
export async function compileCircuit(
  p: Program,
  dir: string,
  name = "circuit",
): Promise<{ circuit: ZkCircuit; constraints: number; files: ZkArtifacts }> {
  const circuit = generateCircuit(p);
  const files = zkArtifacts(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(files.circom, circuit.source);
  const cli = require.resolve("circom2/cli.js");
  try {
    // circom is run from the folder with relative paths (the WASM compiler sees a sandboxed file system)
    await execFileP(process.execPath, [cli, `${name}.circom`, "--r1cs", "--wasm", "-o", "."], {
      cwd: dir,
      maxBuffer: 1 << 24,
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new ZkToolError(`circom failed on ${files.circom}: ${err.stderr || err.stdout || err.message}`);
  }
  return { circuit, constraints: r1csConstraints(files.r1cs), files };
}

/**
 * The constraint count from an .r1cs header (iden3 r1cs format: "r1cs", version, section count, then sections of
 * (type u32, size u64); section 1 holds n8, the prime, nWires, nPubOut, nPubIn, nPrvIn, nLabels (u64), nConstraints).
 * Read directly: snarkjs' reader starts the curve's worker threads, which would keep a CLI process alive.
 */
export function r1csConstraints(file: string): number {
  const b = fs.readFileSync(file);
  if (b.toString("latin1", 0, 4) !== "r1cs") throw new ZkToolError(`${file} is not an r1cs file`);
  const sections = b.readUInt32LE(8);
  let off = 12;
  for (let i = 0; i < sections; i++) {
    const type = b.readUInt32LE(off);
    const size = Number(b.readBigUInt64LE(off + 4));
    if (type === 1) {
      const n8 = b.readUInt32LE(off + 12);
      return b.readUInt32LE(off + 12 + 4 + n8 + 16 + 8);
    }
    off += 12 + size;
  }
  throw new ZkToolError(`${file} has no header section`);
}

/** The smallest powers-of-tau exponent whose domain fits the circuit: 2^power >= constraints + public inputs + 1. */
export function tauPower(constraints: number, nPublic: number): number {
  let power = 8;
  while (1 << power < constraints + nPublic + 1) power++;
  return power;
}

function entropy(): string {
  return crypto.randomBytes(32).toString("hex");
}

/** Options of `zkSetup`. */
export interface ZkSetupOptions {
  /** A prepared (phase-2 ready) powers-of-tau file to use, e.g. from a public ceremony; must be of power >= needed. */
  ptau?: string;
  /**
   * Without `ptau`: a folder where locally generated prepared powers of tau are kept (`pot<power>.ptau`) and reused
   * by later setups of circuits of the same or a smaller size. Default: no reuse.
   */
  ptauCache?: string;
  onProgress?: ZkProgress;
  name?: string;
}

/** A prepared powers-of-tau file of at least 2^power: the given one, a cached one, or a fresh local ceremony. */
export async function preparedTau(power: number, opts: ZkSetupOptions, tmp: string): Promise<string> {
  const onProgress = opts.onProgress ?? (() => {});
  if (opts.ptau) return opts.ptau;
  if (opts.ptauCache) {
    for (let q = power; q <= 20; q++) {
      const f = path.join(opts.ptauCache, `pot${q}.ptau`);
      if (fs.existsSync(f)) {
        onProgress(`powers of tau 2^${q}: reusing ${f}`);
        return f;
      }
    }
  }
  const pot0 = path.join(tmp, "pot0.ptau");
  const pot1 = path.join(tmp, "pot1.ptau");
  const potFinal = path.join(tmp, `pot${power}.ptau`);
  onProgress(`powers of tau 2^${power}: new accumulator`);
  const curve = await snarkjsLib().curves.getCurveFromName("bn128");
  await snarkjsLib().powersOfTau.newAccumulator(curve, power, pot0);
  onProgress("powers of tau: local contribution");
  await snarkjsLib().powersOfTau.contribute(pot0, pot1, "verity local contribution", entropy());
  onProgress("powers of tau: preparing phase 2 (the slow part)");
  await snarkjsLib().powersOfTau.preparePhase2(pot1, potFinal);
  if (!opts.ptauCache) return potFinal;
  fs.mkdirSync(opts.ptauCache, { recursive: true });
  const cached = path.join(opts.ptauCache, `pot${power}.ptau`);
  const part = `${cached}.${process.pid}.tmp`;
  fs.copyFileSync(potFinal, part);
  fs.renameSync(part, cached);
  return cached;
}

/**
 * Compiles the circuit of `p` and runs a local Groth16 setup in `dir`: circuit.{circom,r1cs,zkey,vkey.json,json},
 * circuit_js/circuit.wasm and circuitVerifier.sol (snarkjs' Groth16 verifier, contract `Groth16Verifier`).
 */
export async function zkSetup(
  p: Program,
  dir: string,
  opts: ZkSetupOptions = {},
): Promise<{ files: ZkArtifacts; meta: ZkMeta }> {
  const onProgress = opts.onProgress ?? (() => {});
  onProgress("compiling the circuit (circom)");
  const { circuit, constraints, files } = await compileCircuit(p, dir, opts.name ?? "circuit");
  const power = tauPower(constraints, circuit.nIn + circuit.nOut + 2);
  const tmp = fs.mkdtempSync(path.join(dir, ".setup-"));
  try {
    const ptau = await preparedTau(power, opts, tmp);
    const zkey0 = path.join(tmp, "circuit0.zkey");
    onProgress(`phase 2: circuit key (${constraints} constraints)`);
    await snarkjsLib().zKey.newZKey(files.r1cs, ptau, zkey0);
    onProgress("phase 2: local contribution");
    await snarkjsLib().zKey.contribute(zkey0, files.zkey, "verity local phase 2", entropy());
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  onProgress("exporting the verifying key and the Solidity verifier");
  const vkey = await snarkjsLib().zKey.exportVerificationKey(files.zkey);
  fs.writeFileSync(files.vkey, JSON.stringify(vkey, null, 1) + "\n");
  fs.writeFileSync(files.verifier, await exportVerifier(files.zkey));
  const meta: ZkMeta = { nIn: circuit.nIn, nOut: circuit.nOut, weightsRoot: circuit.weightsRoot, constraints, power };
  fs.writeFileSync(files.meta, JSON.stringify(meta, null, 2) + "\n");
  return { files, meta };
}

/** snarkjs' Solidity Groth16 verifier for a zkey (contract `Groth16Verifier`, `verifyProof(a, b, c, pubSignals)`). */
export async function exportVerifier(zkey: string): Promise<string> {
  const template = fs.readFileSync(
    path.join(path.dirname(require.resolve("snarkjs")), "..", "templates", "verifier_groth16.sol.ejs"),
    "utf8",
  );
  return snarkjsLib().zKey.exportSolidityVerifier(zkey, { groth16: template });
}

/** Reads circuit.json of a set-up folder. */
export function readZkMeta(files: ZkArtifacts): ZkMeta {
  return JSON.parse(fs.readFileSync(files.meta, "utf8")) as ZkMeta;
}

const calculators = new Map<string, Promise<WitnessCalculator>>();

/**
 * Computes the full witness for (input, output); throws if any constraint fails, i.e. if `output` is not what the
 * circuit computes from `input` (circom checks every `===` while it computes the witness).
 */
export async function computeWitness(
  wasmFile: string,
  input: Int8Array,
  output: Int8Array,
  root: string,
): Promise<bigint[]> {
  let wc = calculators.get(wasmFile);
  if (!wc) {
    wc = circomRuntimeLib().WitnessCalculatorBuilder(new Uint8Array(fs.readFileSync(wasmFile)));
    calculators.set(wasmFile, wc);
  }
  const calc = await wc;
  // circom's runtime prints a failed assertion to the console before throwing: keep it quiet, the error says it
  const { log, error } = console;
  console.log = console.error = () => {};
  try {
    return await calc.calculateWitness(circuitInput(input, output, root), true);
  } catch (e) {
    throw new ZkToolError(`the circuit rejects this (input, output) pair: ${(e as Error).message}`);
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Proves `output = program(input)`; returns the snarkjs proof and its public signals. */
export async function prove(
  files: ZkArtifacts,
  input: Int8Array,
  output: Int8Array,
  root: string,
): Promise<{ proof: SnarkProof; publicSignals: string[] }> {
  const r = await snarkjsLib().groth16.fullProve(circuitInput(input, output, root), files.wasm, files.zkey);
  const expected = publicSignals(input, output, root);
  if (r.publicSignals.join() !== expected.join())
    throw new ZkToolError("the prover returned public signals that differ from the input and output");
  return r;
}

/** Verifies a proof off-chain against the verifying key file. */
export async function verifyOffChain(files: ZkArtifacts, pub: string[], proof: SnarkProof): Promise<boolean> {
  const vkey = JSON.parse(fs.readFileSync(files.vkey, "utf8")) as Record<string, unknown>;
  return snarkjsLib().groth16.verify(vkey, pub, proof);
}

/** The proof in the Solidity verifier's layout (pi_b's Fp2 coordinates swapped, as snarkjs' calldata export does). */
export function solidityProof(proof: SnarkProof): SolidityProof {
  const n = (s: string) => BigInt(s);
  return {
    a: [n(proof.pi_a[0]), n(proof.pi_a[1])],
    b: [
      [n(proof.pi_b[0][1]), n(proof.pi_b[0][0])],
      [n(proof.pi_b[1][1]), n(proof.pi_b[1][0])],
    ],
    c: [n(proof.pi_c[0]), n(proof.pi_c[1])],
  };
}

/** The 8 proof words in the order ZkSettler.settle takes them: a.x, a.y, b.x1, b.x0, b.y1, b.y0, c.x, c.y. */
export function proofWords(proof: SnarkProof): bigint[] {
  const p = solidityProof(proof);
  return [...p.a, ...p.b[0], ...p.b[1], ...p.c];
}

/** Stops snarkjs' worker threads (the bn128 curve keeps them alive); call once when done proving. */
export async function zkShutdown(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  if (g.curve_bn128) {
    await g.curve_bn128.terminate();
    g.curve_bn128 = undefined;
  }
}
