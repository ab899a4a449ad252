/** Gemm: y[r, o] = requant(bias[o] + sum_j w[o, j] * (x[r, j] - zIn)) over the input viewed as [rows, k] (NUMERICS §5). */
import { gemm as gemmKernel } from "../runtime/kernels/gemm";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { defineOperator } from "./definition";

export const gemm = defineOperator({
  op: "Gemm",
  maxInputs: 1,
  validate(c) {
    const k = c.scalar("k", 1, MAX_DIM);
    const n = c.scalar("n", 1, MAX_DIM);
    if (c.inSize % k !== 0 || c.outSize !== (c.inSize / k) * n || c.out[c.out.length - 1] !== n) c.fail("shapes");
    c.work((c.inSize / k) * n * k);
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    c.expect("weights", n * k);
    c.expect("bias", n);
    c.requant(n);
    c.expect("lut", null);
    c.accumulator(k);
  },
  run: (layer, [x]) => gemmKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.n),
  readPattern: (layer) => runPattern("Gemm", num(layer.attrs.k), num(layer.attrs.k)),
  reads(layer, [in0], i) {
    const k = layer.attrs.k as number;
    const n = layer.attrs.n as number;
    const start = in0 + Math.floor(i / n) * k;
    const bytes: number[] = [];
    for (let j = 0; j < k; j++) bytes.push(start + j);
    return { bytes, row: i % n };
  },
});
