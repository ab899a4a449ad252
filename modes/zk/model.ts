/**
 * The ZK-mode demo model: a small MLP (input [1, sizes[0]] -> (Gemm, Relu)* -> Gemm) with deterministic weights,
 * quantized with the ordinary pipeline (executor/quant). Used by the tests, the bench and `verity model zk-setup`'s
 * examples; any program of Gemm/Relu/Reshape layers works the same way.
 */
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import { quantizeGraph } from "../../executor/quant";
import type { Program } from "../../executor/runtime/program";

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function zkPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** The quantized MLP `sizes[0]-...-sizes[L]` (default 16-16-10), Relu between dense layers, no Softmax. */
export function zkMlpProgram(sizes: readonly number[] = [16, 16, 10], seed = 6): Program {
  const rand = zkPrng(seed);
  const b = new GraphBuilder("zk-mlp", 13);
  let x = b.input("input", [1, sizes[0]]);
  for (let l = 1; l < sizes.length; l++) {
    const w = b.initializer(`w${l}`, tensorF32([sizes[l], sizes[l - 1]], uniform(rand, sizes[l] * sizes[l - 1], 0.5)));
    const bias = b.initializer(`b${l}`, tensorF32([sizes[l]], uniform(rand, sizes[l], 0.2)));
    x = b.node("Gemm", [x, w, bias], { transB: 1 }, { name: `fc${l}` });
    if (l < sizes.length - 1) x = b.node("Relu", [x], {}, { name: `relu${l}` });
  }
  b.output(x, [1, sizes[sizes.length - 1]]);
  const calibration = Array.from({ length: 16 }, () => uniform(rand, sizes[0], 1));
  return quantizeGraph(b.build(), calibration);
}
