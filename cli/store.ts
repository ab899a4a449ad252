/**
 * The local content-addressed store of published models, under `$VERITY_HOME/store` (default `.verity/store`):
 *
 *   <artifact CID>/model.onnx                           the source ONNX artifact (when the publisher had it)
 *   <artifact CID>/programs/<programDigest>/program.bin  the quantized program a version pins
 *   <artifact CID>/programs/<programDigest>/manifest.json
 *
 * The artifact CID names the directory, as the registry names the artifact; one ONNX file quantized on different
 * calibration sets gives different programs, hence one sub-folder per program digest. Every write goes to a
 * temporary name first and is renamed into place, so a crash never leaves a half-written entry.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { getBytes, hexlify, keccak256 } from "ethers";
import { cidOf, cidToString } from "../executor/model/cid";
import { decodeProgram, type Program } from "../executor/runtime/program";
import { storeDir } from "./config";
import { CliError } from "./errors";
import { MANIFEST_FILE, PROGRAM_FILE, type Manifest } from "./model-source";

export const ARTIFACT_FILE = "model.onnx";

function atomicWrite(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export function artifactDir(artifactCid: string): string {
  return path.join(storeDir(), artifactCid);
}

export function programDir(artifactCid: string, digest: string): string {
  return path.join(artifactDir(artifactCid), "programs", digest.toLowerCase());
}

/** Stores a program (and its artifact, if given); returns the program folder. Idempotent. */
export function storeProgram(programBytes: Uint8Array, manifest: Manifest, artifact?: Uint8Array): string {
  const digest = keccak256(programBytes);
  const dir = programDir(manifest.artifactCid, digest);
  if (artifact) {
    const onnx = path.join(artifactDir(manifest.artifactCid), ARTIFACT_FILE);
    if (!fs.existsSync(onnx)) atomicWrite(onnx, artifact);
  }
  if (!fs.existsSync(path.join(dir, PROGRAM_FILE))) {
    // Build the folder under a temporary name, then rename it into place in one step.
    const parent = path.dirname(dir);
    fs.mkdirSync(parent, { recursive: true });
    const tmp = path.join(parent, `.${path.basename(dir)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, PROGRAM_FILE), programBytes);
    fs.writeFileSync(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, PROGRAM_FILE))) throw e; // someone else stored it first: fine
    }
  }
  return dir;
}

/** The program a registered version pins, from the store; a clear error when it is absent or does not match. */
export function loadStoredProgram(
  artifactCid: Uint8Array | string,
  digest: string,
  versionId: bigint,
): { program: Program; dir: string } {
  const cid = typeof artifactCid === "string" ? cidToString(getBytes(artifactCid)) : cidToString(artifactCid);
  const dir = programDir(cid, digest);
  const file = path.join(dir, PROGRAM_FILE);
  if (!fs.existsSync(file)) {
    throw new CliError(
      `the program of version ${versionId} (artifact ${cid}, program digest ${digest.slice(0, 10)}…) is not in the local store ${storeDir()}`,
      "publish it from this machine with `verity model publish <program dir>`, or copy its folder from the publisher's .verity/store (VERITY_HOME)",
    );
  }
  const bytes = new Uint8Array(fs.readFileSync(file));
  if (keccak256(bytes) !== digest.toLowerCase()) {
    throw new CliError(
      `${file} does not hash to the registered program digest ${digest}`,
      `the store is damaged: delete ${dir} and fetch it again`,
    );
  }
  return { program: decodeProgram(bytes), dir };
}

export function hasStoredProgram(artifactCid: string, digest: string): boolean {
  try {
    return fs.existsSync(path.join(programDir(cidToString(getBytes(artifactCid)), digest), PROGRAM_FILE));
  } catch {
    return false;
  }
}

export { cidOf, hexlify };
