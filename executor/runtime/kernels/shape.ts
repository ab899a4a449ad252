/** Data movement: Reshape (and Flatten) copy; Transpose permutes axes. docs/NUMERICS.md §13. */
import type { Layer } from "../types";

/** The same values in the same row-major order, under a new shape. */
export function reshape(_layer: Layer, x: Int8Array): Int8Array {
  return x.slice();
}

/** y[i_0..i_{r-1}] = x[j] where the input index along axis perm[d] is i_d. */
export function transpose(layer: Layer, x: Int8Array, inShape: readonly number[]): Int8Array {
  const perm = layer.attrs.perm as number[];
  const rank = inShape.length;
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = s;
    s *= inShape[d];
  }
  const out = layer.outShape;
  const st = perm.map((p) => inStrides[p]);
  const y = new Int8Array(x.length);
  // one row along the last output axis at a time, then an odometer increment over the other axes
  const last = rank - 1;
  const inner = rank > 0 ? out[last] : 1;
  const step = rank > 0 ? st[last] : 0;
  const idx = new Int32Array(rank);
  let src = 0;
  for (let i = 0; i < x.length; i += inner) {
    for (let j = 0; j < inner; j++) y[i + j] = x[src + j * step];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      src += st[d];
      if (idx[d] < out[d]) break;
      src -= st[d] * out[d];
      idx[d] = 0;
    }
  }
  return y;
}
