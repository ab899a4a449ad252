/**
 * One ZK-mode request for the demo (issue 6: "the demo shows each mode once"), as a step the demo script can call:
 * the publisher publishes a small MLP (6-4-3, modes/zk/model.ts) with the ZK mode bit, runs the LOCAL Groth16
 * setup of its circuit (development only, docs/ZK.md), deploys and registers the exported verifier; the node serves
 * the version; the requester asks for mode ZK; the node proves the honest result and ZkSettler settles it, final at
 * once. The prepared powers of tau are reused from `cache/zk/` when present (about 30 s to create on a fresh clone).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hexlify, keccak256, type ContractTransactionResponse, type Signer } from "ethers";

import type { ModelRegistry, NodeRegistry, ZkSettler } from "../../typechain-types";
import { execute } from "../../executor/runtime";
import { commitTrace } from "../../executor/trace/trace";
import { encodeProgram } from "../../executor/runtime/program";
import { zkMlpProgram } from "../../modes/zk/model";
import { deployAndRegisterVerifier } from "../../modes/zk/node";
import { proofWords, prove, zkSetup, zkShutdown } from "../../modes/zk/setup";
import type { InferenceManager } from "../../typechain-types";

export const ZK_DEMO_SIZES = [6, 4, 3] as const;
export const ZK_DEMO_PTAU_CACHE = path.join(__dirname, "..", "..", "cache", "zk");

export interface ZkDemoArgs {
  inferenceManager: InferenceManager;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
  zkSettler: ZkSettler;
  publisher: Signer;
  /** A registered, staked node. */
  node: Signer;
  /** Holds and has approved the fee for the InferenceManager. */
  requester: Signer;
  fee: bigint;
  /** The model name to publish (a publisher can publish a name once). */
  modelName?: string;
  /** Called with each mined transaction (for the demo's gas table). */
  record?: (who: string, action: string, tx: Promise<ContractTransactionResponse>) => Promise<{ gasUsed: bigint }>;
  log?: (line: string) => void;
}

export interface ZkDemoResult {
  versionId: bigint;
  requestId: bigint;
  constraints: number;
  setupSeconds: number;
  proveSeconds: number;
  settleGas: bigint;
  output: Int8Array;
}

export async function zkDemo(a: ZkDemoArgs): Promise<ZkDemoResult> {
  const log = a.log ?? ((line: string) => console.log(line));
  const record =
    a.record ??
    (async (_who: string, _action: string, tx: Promise<ContractTransactionResponse>) => {
      const receipt = await (await tx).wait();
      return { gasUsed: receipt!.gasUsed };
    });
  const program = zkMlpProgram(ZK_DEMO_SIZES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-zk-demo-"));
  try {
    const started = Date.now();
    const { files, meta } = await zkSetup(program, dir, { ptauCache: ZK_DEMO_PTAU_CACHE });
    const setupSeconds = (Date.now() - started) / 1000;
    log(
      `ZK: circuit of the ${ZK_DEMO_SIZES.join("-")} MLP, ${meta.constraints} constraints, LOCAL setup in ${setupSeconds.toFixed(1)} s (development only)`,
    );

    await record(
      "publisher",
      "publishModel (ZK)",
      a.modelRegistry.connect(a.publisher).publishModel(a.modelName ?? "zk-mlp", {
        artifactCid: "0x01551220" + keccak256(encodeProgram(program)).slice(2),
        programDigest: keccak256(encodeProgram(program)),
        weightsRoot: meta.weightsRoot,
        layerCount: program.layers.length,
        inputShape: program.inputShape,
        outputShape: program.outputShape,
        modes: 8,
        fee: a.fee,
      }),
    );
    const versionId = await a.modelRegistry.versionCount();
    const registered = await deployAndRegisterVerifier(a.zkSettler.connect(a.publisher), versionId, files);
    log(`ZK: verifier ${registered.verifier} registered for version ${versionId} (deploy ${registered.deployGas} gas)`);
    await record("node", "serveVersions (ZK)", a.nodeRegistry.connect(a.node).serveVersions([versionId]));

    const x = Int8Array.from({ length: ZK_DEMO_SIZES[0] }, (_, i) => ((i * 71 + 13) % 256) - 128);
    const input = hexlify(new Uint8Array(x.buffer));
    const nodeAddress = await a.node.getAddress();
    await record(
      "requester",
      "request (ZK)",
      a.inferenceManager
        .connect(a.requester)
        .request(versionId, input, a.fee, nodeAddress, 8, "0x" + "00".repeat(20), 0),
    );
    const requestId = await a.inferenceManager.requestCount();
    const states = execute(program, x);
    const y = states[states.length - 1];
    const traceRoot = commitTrace(states).traceRoot;
    const t = Date.now();
    const { proof } = await prove(files, x, y, meta.weightsRoot);
    const proveSeconds = (Date.now() - t) / 1000;
    const words = proofWords(proof) as unknown as Parameters<ZkSettler["settle"]>[4];
    const output = hexlify(new Uint8Array(y.buffer, y.byteOffset, y.length));
    const { gasUsed } = await record(
      "node",
      "ZkSettler.settle",
      a.zkSettler.connect(a.node).settle(requestId, input, output, traceRoot, words),
    );
    log(`ZK: request ${requestId} proven in ${proveSeconds.toFixed(2)} s and settled, final at once (${gasUsed} gas)`);
    return {
      versionId,
      requestId,
      constraints: meta.constraints,
      setupSeconds,
      proveSeconds,
      settleGas: gasUsed,
      output: y,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await zkShutdown();
  }
}
