/** Conformance of the operators the demo models use (the harness: ./harness.ts). */
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import { STEPS } from "./bounds";
import { type ConformanceCase, conformanceSuite, randomArray, rng } from "./harness";

function weights(seed: number, dims: number[], scale = 0.5) {
  return tensorF32(
    dims,
    randomArray(
      rng(seed),
      dims.reduce((a, b) => a * b, 1),
      -scale,
      scale,
    ),
  );
}

function gemm(k: number, n: number, opset: number): ConformanceCase {
  const b = new GraphBuilder("gemm", opset);
  const x = b.input("x", [1, k]);
  const y = b.node("Gemm", [x, b.initializer("w", weights(1, [n, k])), b.initializer("b", weights(2, [n], 0.2))], {
    transB: 1,
  });
  b.output(y, [1, n]);
  return {
    name: `Gemm k=${k} n=${n} opset ${opset}`,
    graph: b.build(),
    inputDims: [1, k],
    ops: ["Gemm"],
    steps: STEPS.gemm,
  };
}

function conv(
  c: number,
  m: number,
  hw: number,
  attrs: Record<string, number | number[]>,
  opset: number,
): ConformanceCase {
  const b = new GraphBuilder("conv", opset);
  const x = b.input("x", [1, c, hw, hw]);
  const y = b.node(
    "Conv",
    [x, b.initializer("w", weights(3, [m, c, 3, 3])), b.initializer("b", weights(4, [m], 0.2))],
    attrs,
  );
  b.output(y, [-1]);
  return {
    name: `Conv 3x3 ${JSON.stringify(attrs)} opset ${opset}`,
    graph: b.build(),
    inputDims: [1, c, hw, hw],
    steps: STEPS.conv,
  };
}

/** A Gemm (or MatMul by a constant) whose row is too long for one step: Slice + Gemm per part, Adds (NUMERICS §27.3). */
function longGemm(k: number, n: number, matmul: boolean): ConformanceCase {
  const b = new GraphBuilder("gemm", 13);
  const x = b.input("x", [1, k]);
  const y = matmul
    ? b.node("MatMul", [x, b.initializer("w", weights(5, [k, n], 0.05))])
    : b.node("Relu", [
        b.node("Gemm", [x, b.initializer("w", weights(1, [n, k], 0.05)), b.initializer("b", weights(2, [n], 0.2))], {
          transB: 1,
        }),
      ]);
  b.output(y, [1, n]);
  const parts = Math.ceil(k / 16_384);
  const ops = [
    ...Array.from({ length: parts }, () => ["Slice", "Gemm"]).flat(),
    ...new Array<string>(parts - 1).fill("Add"),
  ];
  return {
    name: `${matmul ? "MatMul" : "Gemm + Relu"} k=${k} n=${n} opset 13 (long: ${parts} partial products)`,
    graph: b.build(),
    inputDims: [1, k],
    ops: matmul ? ops : [...ops, "Relu"],
    steps: STEPS.gemm,
  };
}

conformanceSuite("core (demo-model operators)", [
  longGemm(65_536, 4, false),
  longGemm(40_000, 3, true),
  gemm(16, 8, 13),
  gemm(64, 10, 11),
  conv(2, 4, 8, { pads: [1, 1, 1, 1] }, 13),
  conv(3, 2, 9, { strides: [2, 2] }, 11),
]);
