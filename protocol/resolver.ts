/**
 * Where the daemon finds the program of a model version: the demo models and the byte-level language model of
 * models/lm (matched by the artifact CID registered on-chain), or the local content-addressed store `.verity/store/<cid>/programs/<programDigest>/program.bin` that
 * `verity model publish` writes. The program's weights root must equal the registered one, or the daemon refuses to serve the version
 * (its commitments would lose every dispute).
 */
import * as fs from "fs";
import * as path from "path";
import { getBytes, hexlify } from "ethers";

import { VerityError } from "../executor/errors";
import { demoModelByCid } from "../models/demo-models";
import { languageModel, languageModelCid } from "../models/lm";
import { base32Encode } from "../executor/model/cid";
import { decodeProgram, type Program } from "../executor/runtime/program";
import { WeightsCommitment } from "../executor/trace/weights";

export interface ResolvedProgram {
  readonly program: Program;
  readonly weights: WeightsCommitment;
}

/** versionId → its program, or a `ProgramNotFoundError`. */
export type ProgramResolver = (versionId: bigint) => Promise<ResolvedProgram>;

export class ProgramNotFoundError extends VerityError {}

/** What the resolver reads from the model registry. */
export interface VersionSource {
  getVersion(versionId: bigint): Promise<{ artifactCid: string; weightsRoot: string; programDigest: string }>;
}

/** The multibase base32 (lower case, unpadded, prefix "b") text of a binary CID, as `cidOf` prints it (unchecked). */
export function cidText(binary: Uint8Array): string {
  return "b" + base32Encode(binary);
}

let lmCid: string | null = null;

/** The demo language model when `cid` (0x-hex, lower case) is its artifact's, else null (quantized on first use). */
function languageModelByCid(cid: string): ResolvedProgram | null {
  lmCid ??= hexlify(languageModelCid()).toLowerCase();
  if (cid !== lmCid) return null;
  const lm = languageModel();
  return { program: lm.program, weights: lm.weights };
}

export function defaultResolver(registry: VersionSource, storeRoot = path.join(".verity", "store")): ProgramResolver {
  const cache = new Map<string, Promise<ResolvedProgram>>();
  const load = async (versionId: bigint): Promise<ResolvedProgram> => {
    const v = await registry.getVersion(versionId);
    const cid = hexlify(v.artifactCid).toLowerCase();
    let resolved: ResolvedProgram | null = null;
    // The demo models (models/*.onnx, models/lm) are served out of the box, quantized on first use.
    const m = demoModelByCid(cid);
    const lm = m ? null : languageModelByCid(cid);
    if (m) {
      resolved = { program: m.program, weights: m.weights };
    } else if (lm) {
      resolved = lm;
    } else {
      const text = cidText(getBytes(v.artifactCid));
      // `verity model publish` writes <cid>/programs/<programDigest>/program.bin; a bare <cid>/program.bin also works.
      const candidates = [path.join(text, "programs", v.programDigest.toLowerCase()), text, cid];
      for (const dir of candidates) {
        const file = path.join(storeRoot, dir, "program.bin");
        if (fs.existsSync(file)) {
          const program = decodeProgram(new Uint8Array(fs.readFileSync(file)));
          resolved = { program, weights: new WeightsCommitment(program) };
          break;
        }
      }
      if (!resolved) {
        throw new ProgramNotFoundError(
          `no program for version ${versionId} (artifact ${text}): expected ${path.join(storeRoot, text, "program.bin")}; ` +
            "fetch the artifact into the store (verity model publish writes it there) or stop serving the version",
        );
      }
    }
    if (resolved.weights.root.toLowerCase() !== v.weightsRoot.toLowerCase()) {
      throw new ProgramNotFoundError(
        `the program found for version ${versionId} has weights root ${resolved.weights.root}, but the registry says ` +
          `${v.weightsRoot}: refusing to serve it`,
      );
    }
    return resolved;
  };
  return (versionId) => {
    const key = versionId.toString();
    let hit = cache.get(key);
    if (!hit) {
      hit = load(versionId);
      hit.catch(() => cache.delete(key));
      cache.set(key, hit);
    }
    return hit;
  };
}
