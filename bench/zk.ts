/**
 * ZK mode figures (docs/ZK.md), on the 16-16-10 MLP of modes/zk/model.ts:
 *   zk.constraints   R1CS constraints of the generated circuit
 *   zk.setupSeconds  circom + Groth16 setup (phase 2 only when the prepared powers of tau are cached in cache/zk)
 *   zk.proveSeconds  witness + Groth16 proof with snarkjs (median of 5)
 *   zk.proofBytes    the proof as settle takes it: 8 words of 32 bytes
 *   gas.zkCommit     ZkSettler.settle end to end: checks, proof verification, settleVerified (commit + finalize)
 *   gas.zkVerify     a standalone Groth16Verifier.verifyProof transaction (21,000 intrinsic gas included)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ethers } from "hardhat";
import type { InterfaceAbi } from "ethers";

import { run } from "../executor/runtime";
import { encodeProgram } from "../executor/runtime/program";
import { zkMlpProgram } from "../modes/zk/model";
import { proofWords, prove, solidityProof, zkSetup, zkShutdown } from "../modes/zk/setup";
import { compileVerifier } from "../modes/zk/verifier";
import { publicSignals } from "../modes/zk/circuit";
import type { ZkSettler } from "../typechain-types";
import { MODE, versionSpec } from "../test/helpers/fixtures";
import { deployInferenceFixture, VERSION_FEE } from "../test/helpers/inference-fixtures";

export const ZK_BENCH_SIZES = [16, 16, 10] as const;

export interface ZkBench {
  zk: {
    model: string;
    constraints: number;
    power: number;
    setupSeconds: number;
    proveSeconds: number;
    proofBytes: number;
  };
  gas: { zkCommit: number; zkVerify: number };
}

export async function benchZk(log: (line: string) => void = () => {}): Promise<ZkBench> {
  const program = zkMlpProgram(ZK_BENCH_SIZES);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-zk-bench-"));
  try {
    const t0 = Date.now();
    const { files, meta } = await zkSetup(program, dir, {
      ptauCache: path.join(__dirname, "..", "cache", "zk"),
      onProgress: (s) => log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}`),
    });
    const setupSeconds = (Date.now() - t0) / 1000;
    const compiled = compileVerifier(fs.readFileSync(files.verifier, "utf8"));

    const f = await deployInferenceFixture();
    await f.models.connect(f.publisher).publishModel(
      "zk-mlp-16-16-10",
      versionSpec({
        programDigest: ethers.keccak256(encodeProgram(program)),
        weightsRoot: meta.weightsRoot,
        layerCount: program.layers.length,
        inputShape: program.inputShape,
        outputShape: program.outputShape,
        modes: MODE.ZK,
      }),
    );
    const versionId = await f.models.versionCount();
    const settler = (await ethers.deployContract("ZkSettler", [
      await f.manager.getAddress(),
      await f.models.getAddress(),
      f.governor.address,
    ])) as unknown as ZkSettler;
    await f.manager.connect(f.governor).setModeSettler(MODE.ZK, await settler.getAddress());
    const factory = new ethers.ContractFactory(compiled.abi as InterfaceAbi, compiled.bytecode, f.publisher);
    const verifier = await factory.deploy();
    await verifier.waitForDeployment();
    await settler.connect(f.publisher).registerVerifier(versionId, await verifier.getAddress());
    await f.nodes.connect(f.node).serveVersions([versionId]);

    const x = Int8Array.from({ length: ZK_BENCH_SIZES[0] }, (_, i) => ((i * 53) % 256) - 128);
    const y = run(program, x);
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof prove>> | undefined;
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      last = await prove(files, x, y, meta.weightsRoot);
      times.push((Date.now() - t) / 1000);
    }
    times.sort((a, b) => a - b);
    const { proof } = last!;
    const hex = (a: Int8Array) => ethers.hexlify(new Uint8Array(a.buffer, a.byteOffset, a.length));
    await f.manager
      .connect(f.requesters[0])
      .request(versionId, hex(x), VERSION_FEE, f.node.address, MODE.ZK, ethers.ZeroAddress, 0);
    const id = await f.manager.requestCount();
    const words = proofWords(proof) as unknown as Parameters<ZkSettler["settle"]>[4];
    const receipt = await (await settler.connect(f.node).settle(id, hex(x), hex(y), ethers.ZeroHash, words)).wait();
    const sp = solidityProof(proof);
    const zkVerify = await verifier
      .getFunction("verifyProof")
      .estimateGas(sp.a, sp.b, sp.c, publicSignals(x, y, meta.weightsRoot));
    return {
      zk: {
        model: `mlp ${ZK_BENCH_SIZES.join("-")}`,
        constraints: meta.constraints,
        power: meta.power,
        setupSeconds: Math.round(setupSeconds * 10) / 10,
        proveSeconds: Math.round(times[2] * 1000) / 1000,
        proofBytes: 8 * 32,
      },
      gas: { zkCommit: Number(receipt!.gasUsed), zkVerify: Number(zkVerify) },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await zkShutdown();
  }
}
