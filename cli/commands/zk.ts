/**
 * `verity model zk-setup <program dir>`: ZK mode for a small program (docs/ZK.md). Generates the circom circuit of
 * the program, compiles it, runs a local Groth16 setup and exports the verifying key and the Solidity verifier,
 * into `<store folder of the program>/zk/` (the folder `verity node serve --mode zk` reads), or `--out`.
 */
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { isAddress, keccak256, type Signer } from "ethers";
import { attach } from "../../protocol/contracts";
import { deployAndRegisterVerifier, storeZkArtifacts, zkSettlerAddress, ZkVerifiedSettler } from "../../modes/zk/node";
import { connect, type Protocol, signerOf } from "../chain";
import { globalsOf, storeDir } from "../config";
import { CliError } from "../errors";
import { toJson } from "../values";
import { spin } from "../spinner";
import { zkArtifacts, zkSetup, zkShutdown, type ZkMeta } from "../../modes/zk/setup";
import { PROGRAM_FILE, readProgramDir } from "../model-source";
import { programDir, storeProgram } from "../store";

/** The sub-folder of a program's store folder that holds its ZK artifacts. */
export const ZK_DIR = "zk";

interface ZkSetupOptions {
  out?: string;
  ptau?: string;
  json?: boolean;
}

export function zkDirOf(storeFolder: string): string {
  return path.join(storeFolder, ZK_DIR);
}

async function zkSetupCommand(dir: string, opts: ZkSetupOptions): Promise<void> {
  const { program, manifest } = readProgramDir(dir);
  const bytes = new Uint8Array(fs.readFileSync(path.join(dir, PROGRAM_FILE)));
  // the program's store folder (stored now if it was not yet: the node daemon looks for the circuit there)
  const store = storeProgram(bytes, manifest);
  const out = path.resolve(opts.out ?? zkDirOf(store));
  const started = Date.now();
  const stage = (s: string) =>
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
  let meta: ZkMeta;
  try {
    ({ meta } = await zkSetup(program, out, { ptau: opts.ptau, onProgress: stage }));
  } finally {
    await zkShutdown();
  }
  const files = zkArtifacts(out);
  const seconds = (Date.now() - started) / 1000;
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({
        dir: out,
        programDigest: keccak256(bytes),
        ...meta,
        seconds,
        files,
        storeFolder: programDir(manifest.artifactCid, keccak256(bytes)),
      }) + "\n",
    );
    return;
  }
  process.stdout.write(
    [
      `circuit      ${files.circom}`,
      `constraints  ${meta.constraints} (powers of tau 2^${meta.power})`,
      `public       ${meta.nIn} input + ${meta.nOut} output elements + 2 weights-root halves`,
      `weightsRoot  ${meta.weightsRoot}`,
      `proving key  ${files.zkey}`,
      `verifying    ${files.vkey}`,
      `verifier     ${files.verifier} (contract Groth16Verifier)`,
      `time         ${seconds.toFixed(1)} s`,
      "",
      "The setup is LOCAL (development only: whoever ran it can forge proofs). Deploy the verifier and register it",
      "with ZkSettler.registerVerifier(versionId, verifier) as the model's owner; see docs/ZK.md.",
      "",
    ].join("\n"),
  );
}

export function registerZkCommands(model: Command): void {
  model
    .command("zk-setup")
    .description("ZK mode: generate the program's circom circuit, run a local Groth16 setup, export the verifier")
    .argument("<program dir>", "a program directory (program.bin + manifest.json, from `verity model import`)")
    .option("-o, --out <dir>", "output folder (default: <program's store folder>/zk)")
    .option(
      "--ptau <file>",
      "a prepared powers-of-tau file to use (e.g. from a public ceremony) instead of a local one",
    )
    .option("--json", "print the result as one JSON line")
    .action(async (dir: string, opts: ZkSetupOptions) => zkSetupCommand(dir, opts));
  registerZkRegisterCommand(model);
}

/**
 * The ZK settler of `verity node serve --mode zk`: proves with the artifacts `zk-setup` wrote into the store and
 * calls the deployment's ZkSettler (`Zk#ZkSettler` in deployed_addresses.json, or `--zk-settler`).
 */
export function zkVerifiedSettlerFor(p: Protocol, signer: Signer, address?: string): ZkVerifiedSettler {
  const at = address ?? zkSettlerAddress(p.deploymentSource);
  if (at === undefined || !isAddress(at)) {
    throw new CliError(
      `no ZkSettler address in ${p.deploymentSource}`,
      "deploy ignition/modules/Protocol.ts (it includes Zk.ts), or pass --zk-settler <address>",
    );
  }
  const settler = attach("ZkSettler", at, signer);
  return new ZkVerifiedSettler(
    settler,
    storeZkArtifacts({ getVersion: (id) => p.modelRegistry.getVersion(id) }, storeDir()),
  );
}

interface ZkRegisterOptions {
  zkSettler?: string;
  json?: boolean;
}

async function zkRegisterCommand(version: string, opts: ZkRegisterOptions, cmd: Command): Promise<void> {
  if (!/^\d+$/.test(version))
    throw new CliError(`version '${version}' is not a version id`, "e.g. verity model zk-register 3");
  const versionId = BigInt(version);
  const p = await connect(globalsOf(cmd), { needKey: true });
  const signer = signerOf(p);
  const at = opts.zkSettler ?? zkSettlerAddress(p.deploymentSource);
  if (at === undefined || !isAddress(at)) {
    throw new CliError(`no ZkSettler address in ${p.deploymentSource}`, "pass --zk-settler <address>");
  }
  const files = await storeZkArtifacts({ getVersion: (id) => p.modelRegistry.getVersion(id) }, storeDir())(versionId);
  const settler = attach("ZkSettler", at, signer);
  const r = await spin("deploying and registering the verifier", (s) =>
    deployAndRegisterVerifier(settler, versionId, files, (t) => s.update(t)),
  );
  const out = { versionId, verifier: r.verifier, zkSettler: at, deployGas: r.deployGas, registerGas: r.registerGas };
  if (opts.json) {
    process.stdout.write(toJson(out) + "\n");
    return;
  }
  process.stdout.write(
    `version ${versionId}: verifier ${r.verifier} registered on ZkSettler ${at} (gas: deploy ${r.deployGas}, register ${r.registerGas})\n`,
  );
}

/** Adds `zk-register` to the `model` command group. */
export function registerZkRegisterCommand(model: Command): void {
  model
    .command("zk-register")
    .description(
      "ZK mode: deploy the verifier `zk-setup` exported for a version and register it (the model owner's key)",
    )
    .argument("<versionId>", "a published version whose program has a ZK setup in the local store")
    .option("--zk-settler <address>", "the ZkSettler (default: Zk#ZkSettler of the deployment file)")
    .option("--json", "print the result as one JSON line")
    .action(async (version: string, opts: ZkRegisterOptions, cmd: Command) => zkRegisterCommand(version, opts, cmd));
}
