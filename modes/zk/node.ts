/**
 * The node daemon's ZK-mode settler (modes/verified.ts): proves `output = program(input)` with the
 * version's proving key (written by `verity model zk-setup` into the program's store folder, `zk/`) and sends
 * `ZkSettler.settle`, which verifies the proof on-chain and settles the request, final at once.
 */
import * as fs from "fs";
import * as path from "path";
import { ContractFactory, getBytes } from "ethers";
import type { ContractTransactionResponse, InterfaceAbi, Overrides, Signer } from "ethers";
import { MODE, type VerifiedResult, type VerifiedSettler } from "../verified";
import { cidText } from "../../protocol/resolver";
import type { ZkSettler } from "../../typechain-types";
import { proofWords, prove, readZkMeta, zkArtifacts, ZkToolError, type ZkArtifacts } from "./setup";
import { compileVerifier } from "./verifier";

/** Finds the ZK artifacts of a model version. */
export type ZkArtifactsResolver = (versionId: bigint) => Promise<ZkArtifacts>;

/** What the artifacts resolver reads from the model registry. */
export interface ZkVersionSource {
  getVersion(versionId: bigint): Promise<{ artifactCid: string; programDigest: string; weightsRoot: string }>;
}

/**
 * Artifacts from the local store: `<store>/<artifact CID>/programs/<programDigest>/zk/` (where `verity model
 * zk-setup` writes them), checked against the version's registered weights root.
 */
export function storeZkArtifacts(registry: ZkVersionSource, storeRoot: string): ZkArtifactsResolver {
  return async (versionId) => {
    const v = await registry.getVersion(versionId);
    const dir = path.join(storeRoot, cidText(getBytes(v.artifactCid)), "programs", v.programDigest.toLowerCase(), "zk");
    const files = zkArtifacts(dir);
    if (!fs.existsSync(files.zkey) || !fs.existsSync(files.meta)) {
      throw new ZkToolError(
        `version ${versionId} has no ZK setup in ${dir}: run \`verity model zk-setup\` on its program`,
      );
    }
    const meta = readZkMeta(files);
    if (meta.weightsRoot.toLowerCase() !== v.weightsRoot.toLowerCase()) {
      throw new ZkToolError(
        `the circuit in ${dir} pins weights root ${meta.weightsRoot}, version ${versionId} registers ${v.weightsRoot}`,
      );
    }
    return files;
  };
}

function int8(hex: string): Int8Array {
  const b = getBytes(hex);
  return new Int8Array(b.buffer, b.byteOffset, b.length);
}

/** The ZK `VerifiedSettler`: prove with snarkjs, then `ZkSettler.settle` (not awaited: the daemon waits). */
export class ZkVerifiedSettler implements VerifiedSettler {
  readonly mode = MODE.ZK;
  readonly name = "zk";
  /** Seconds spent proving, per settled request (for logs and the bench). */
  readonly proveSeconds: number[] = [];

  constructor(
    private readonly settler: ZkSettler,
    private readonly artifactsOf: ZkArtifactsResolver,
  ) {}

  async settle(r: VerifiedResult, overrides: Overrides): Promise<ContractTransactionResponse> {
    const files = await this.artifactsOf(r.versionId);
    const meta = readZkMeta(files);
    const started = Date.now();
    const { proof } = await prove(files, int8(r.input), int8(r.output), meta.weightsRoot);
    this.proveSeconds.push((Date.now() - started) / 1000);
    const words = proofWords(proof) as unknown as Parameters<ZkSettler["settle"]>[4];
    return this.settler.settle(r.requestId, r.input, r.output, r.traceRoot, words, overrides);
  }
}

/** The ZkSettler address of an Ignition deployed_addresses.json (`Zk#ZkSettler`) or a plain `{zkSettler}` map. */
export function zkSettlerAddress(deploymentFile: string): string | undefined {
  let p = deploymentFile;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, "deployed_addresses.json");
  if (!fs.existsSync(p)) return undefined;
  const json = JSON.parse(fs.readFileSync(p, "utf8")) as Record<string, unknown>;
  const v = json["Zk#ZkSettler"] ?? json.zkSettler;
  return typeof v === "string" ? v : undefined;
}

/**
 * Compiles the verifier a setup exported (circuitVerifier.sol), deploys it from `settler`'s runner and registers it
 * for `versionId` (the runner must be the version's model owner). Returns the verifier's address and both receipts.
 */
export async function deployAndRegisterVerifier(
  settler: ZkSettler,
  versionId: bigint,
  files: ZkArtifacts,
  onProgress: (stage: string) => void = () => {},
): Promise<{ verifier: string; deployGas: bigint; registerGas: bigint }> {
  const runner = settler.runner;
  if (!runner || !("sendTransaction" in runner)) throw new ZkToolError("the ZkSettler contract object has no signer");
  onProgress("compiling the verifier (solc)");
  const compiled = compileVerifier(fs.readFileSync(files.verifier, "utf8"));
  onProgress("deploying the verifier");
  const factory = new ContractFactory(compiled.abi as InterfaceAbi, compiled.bytecode, runner as Signer);
  const contract = await factory.deploy();
  const deployed = await contract.deploymentTransaction()!.wait();
  const verifier = await contract.getAddress();
  onProgress(`registering ${verifier} for version ${versionId}`);
  const registered = await (await settler.registerVerifier(versionId, verifier)).wait();
  return { verifier, deployGas: deployed!.gasUsed, registerGas: registered!.gasUsed };
}
