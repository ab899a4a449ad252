/**
 * The float references of the spatial ONNX operators in 1-D, 2-D and 3-D (NC + 1..3 spatial axes): Conv,
 * ConvTranspose, MaxPool, AveragePool and the global pools. ONNX semantics in float64 arithmetic; every rank runs as
 * 3-D with leading axes of size 1.
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, attrInt, attrInts, attrString } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { MAX_SPATIAL, type WindowNd, windowNd } from "../quant/geometry";
import { unsupported } from "../quant/params";

/** `v` left-padded with `fill` to 3 entries. */
export function to3(v: readonly number[], fill: number): [number, number, number] {
  const r = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [r[0], r[1], r[2]];
}

/** A window's begin and end pads, each as 3 entries. */
export function pads3(pads: readonly number[]): { begin: [number, number, number]; end: [number, number, number] } {
  const n = pads.length / 2;
  return { begin: to3(pads.slice(0, n), 0), end: to3(pads.slice(n), 0) };
}

/** [N, C, ...spatial] with 1..3 spatial axes, else UnsupportedOperatorError. */
export function spatialDims(node: GraphNode, x: FTensor): { n: number; c: number; size: number[] } {
  const r = x.dims.length - 2;
  if (r < 1 || r > MAX_SPATIAL) unsupported(node, `a rank-${x.dims.length} input (only 1-D, 2-D and 3-D: N, C, ...)`);
  return { n: x.dims[0], c: x.dims[1], size: x.dims.slice(2) };
}

/** ONNX Conv in float: y[b, o, p] = bias[o] + sum w[o, ci, k] x[b, g*cg + ci, p*s - pad + k*d]. */
export function convF(node: GraphNode, x: FTensor, w: FTensor, b: FTensor | undefined): FTensor {
  const { n, c, size } = spatialDims(node, x);
  if (w.dims.length !== x.dims.length)
    unsupported(node, `rank-${w.dims.length} weights for a rank-${x.dims.length} input`);
  const [m, cg] = w.dims;
  const group = attrInt(node, "group", 1);
  if (group < 1 || c % group !== 0 || m % group !== 0 || cg !== c / group) {
    throw new ShapeMismatchError(
      `node '${node.name}' (Conv): input channels ${c}, weights [${w.dims.join(", ")}], group ${group} do not fit`,
    );
  }
  const kernel = w.dims.slice(2);
  const ks = attrInts(node, "kernel_shape", kernel);
  if (ks.some((k, i) => k !== kernel[i]))
    throw new ShapeMismatchError(`node '${node.name}' (Conv): kernel_shape differs from the weights`);
  const g = windowNd(node, size, kernel, false);
  const [D, H, W] = to3(size, 1);
  const [kd, kh, kw] = to3(kernel, 1);
  const [sd, sh, sw] = to3(g.strides, 1);
  const [dd, dh, dw] = to3(g.dilations, 1);
  const { begin } = pads3(g.pads);
  const [od, oh, ow] = to3(g.out, 1);
  const mg = m / group;
  const data = new Float32Array(n * m * od * oh * ow);
  let q = 0;
  for (let bi = 0; bi < n; bi++)
    for (let o = 0; o < m; o++) {
      const gi = Math.floor(o / mg);
      for (let oz = 0; oz < od; oz++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++) {
            let acc = b ? b.data[o] : 0;
            for (let ci = 0; ci < cg; ci++)
              for (let kz = 0; kz < kd; kz++) {
                const iz = oz * sd - begin[0] + kz * dd;
                if (iz < 0 || iz >= D) continue;
                for (let ky = 0; ky < kh; ky++) {
                  const iy = oy * sh - begin[1] + ky * dh;
                  if (iy < 0 || iy >= H) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const ix = ox * sw - begin[2] + kx * dw;
                    if (ix < 0 || ix >= W) continue;
                    acc +=
                      w.data[(((o * cg + ci) * kd + kz) * kh + ky) * kw + kx] *
                      x.data[(((bi * c + gi * cg + ci) * D + iz) * H + iy) * W + ix];
                  }
                }
              }
            data[q++] = acc;
          }
    }
  return { dims: [n, m, ...g.out], data };
}

export type PoolKind = "max" | "avg" | "globalAvg" | "globalMax";

/** The window of a pooling node over spatial `size` (the global pools: one window over everything). */
export function poolWindow(node: GraphNode, size: readonly number[], kind: PoolKind): WindowNd {
  if (kind === "globalAvg" || kind === "globalMax") {
    const ones = size.map(() => 1);
    return { kernel: [...size], strides: ones, dilations: ones, pads: [...size, ...size].map(() => 0), out: ones };
  }
  const kernel = attrInts(node, "kernel_shape", []);
  if (kernel.length !== size.length)
    unsupported(node, `kernel_shape [${kernel.join(", ")}] for a ${size.length}-D input`);
  return windowNd(node, size, kernel, true);
}

/** ONNX MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool in float, 1-D to 3-D. */
export function poolF(node: GraphNode, x: FTensor, kind: PoolKind): FTensor {
  const { n, c, size } = spatialDims(node, x);
  if (kind === "max" && node.outputs.length > 1 && node.outputs[1]) unsupported(node, "the Indices output");
  if (kind === "max" && attrInt(node, "storage_order", 0) !== 0) unsupported(node, "storage_order 1");
  const g = poolWindow(node, size, kind);
  const [D, H, W] = to3(size, 1);
  const [kd, kh, kw] = to3(g.kernel, 1);
  const [sd, sh, sw] = to3(g.strides, 1);
  const [dd, dh, dw] = to3(g.dilations, 1);
  const { begin, end } = pads3(g.pads);
  const [od, oh, ow] = to3(g.out, 1);
  const includePad = kind === "avg" && attrInt(node, "count_include_pad", 0) === 1;
  const isMax = kind === "max" || kind === "globalMax";
  const data = new Float32Array(n * c * od * oh * ow);
  let q = 0;
  for (let p = 0; p < n * c; p++)
    for (let oz = 0; oz < od; oz++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let best = -Infinity;
          let sum = 0;
          let cnt = 0;
          for (let kz = 0; kz < kd; kz++) {
            const iz = oz * sd - begin[0] + kz * dd;
            if (iz < 0 || iz >= D) continue;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * sh - begin[1] + ky * dh;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * sw - begin[2] + kx * dw;
                if (ix < 0 || ix >= W) continue;
                const v = x.data[((p * D + iz) * H + iy) * W + ix];
                if (v > best) best = v;
                sum += v;
                cnt++;
              }
            }
          }
          let div = cnt;
          if (includePad) {
            const z0 = oz * sd - begin[0];
            const y0 = oy * sh - begin[1];
            const x0 = ox * sw - begin[2];
            div =
              (Math.min(z0 + kd, D + end[0]) - z0) *
              (Math.min(y0 + kh, H + end[1]) - y0) *
              (Math.min(x0 + kw, W + end[2]) - x0);
          }
          data[q++] = isMax ? best : div > 0 ? sum / div : 0;
        }
  return { dims: [n, c, ...g.out], data };
}

/**
 * ONNX ConvTranspose geometry over spatial `size`: explicit pads, or pads from `output_shape` / auto_pad SAME_*
 * (total = S*(in-1) + outPad + (K-1)*D + 1 - out, split as onnxruntime does), and the output size
 * out = S*(in-1) + outPad + (K-1)*D + 1 - padBegin - padEnd.
 */
export function convTransposeWindow(node: GraphNode, size: readonly number[], kernel: readonly number[]): WindowNd {
  const n = size.length;
  const ones = new Array<number>(n).fill(1);
  const s = [...attrInts(node, "strides", ones)];
  const d = [...attrInts(node, "dilations", ones)];
  const op = [...attrInts(node, "output_padding", new Array<number>(n).fill(0))];
  if (s.length !== n || d.length !== n || op.length !== n)
    unsupported(node, `strides/dilations/output_padding not ${n}-D`);
  if (s.some((v) => v < 1) || d.some((v) => v < 1)) unsupported(node, "non-positive strides or dilations");
  if (op.some((v, i) => v < 0 || v >= Math.max(s[i], d[i])))
    unsupported(node, `output_padding [${op.join(", ")}] (each must be below its stride or dilation)`);
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  const shape = attrInts(node, "output_shape", []);
  const pads = [...attrInts(node, "pads", new Array<number>(2 * n).fill(0))];
  if (pads.length !== 2 * n || pads.some((p) => p < 0)) unsupported(node, `pads [${pads.join(", ")}]`);
  const out = new Array<number>(n).fill(0);
  for (let a = 0; a < n; a++) {
    const full = s[a] * (size[a] - 1) + op[a] + (kernel[a] - 1) * d[a] + 1;
    const want = shape.length > 0 ? shape[shape.length - n + a] : autoPad.startsWith("SAME") ? size[a] * s[a] : -1;
    if (want >= 0) {
      const total = full - want;
      if (total < 0) unsupported(node, `an output size ${want} beyond the full transposed extent ${full}`);
      const half = Math.floor(total / 2);
      pads[a] = autoPad === "SAME_UPPER" ? half : total - half;
      pads[a + n] = total - pads[a];
    } else if (autoPad !== "NOTSET" && autoPad !== "VALID") unsupported(node, `auto_pad '${autoPad}'`);
    else if (autoPad === "VALID") pads[a] = pads[a + n] = 0;
    out[a] = full - pads[a] - pads[a + n];
    if (out[a] < 1) unsupported(node, `an output size ${out[a]}`);
  }
  return { kernel: [...kernel], strides: s, dilations: d, pads, out };
}

/**
 * ONNX ConvTranspose in float: y[b, o, p] = bias[o] + sum over ci, k with p + padBegin - k*d = i*s, 0 <= i < in, of
 * w[g*cg + ci, o mod mg, k] x[b, g*cg + ci, i] (weights [C, M/group, ...kernel]).
 */
export function convTransposeF(node: GraphNode, x: FTensor, w: FTensor, b: FTensor | undefined): FTensor {
  const { n, c, size } = spatialDims(node, x);
  if (w.dims.length !== x.dims.length)
    unsupported(node, `rank-${w.dims.length} weights for a rank-${x.dims.length} input`);
  const group = attrInt(node, "group", 1);
  const [wc, mg] = w.dims;
  if (group < 1 || wc !== c || c % group !== 0)
    throw new ShapeMismatchError(
      `node '${node.name}' (ConvTranspose): input channels ${c}, weights [${w.dims.join(", ")}], group ${group} do not fit`,
    );
  const m = mg * group;
  const cg = c / group;
  const kernel = w.dims.slice(2);
  const g = convTransposeWindow(node, size, kernel);
  const [D, H, W] = to3(size, 1);
  const [kd, kh, kw] = to3(kernel, 1);
  const [sd, sh, sw] = to3(g.strides, 1);
  const [dd, dh, dw] = to3(g.dilations, 1);
  const { begin } = pads3(g.pads);
  const [od, oh, ow] = to3(g.out, 1);
  const data = new Float32Array(n * m * od * oh * ow);
  for (let bi = 0; bi < n; bi++)
    for (let o = 0; o < m; o++) {
      const gi = Math.floor(o / mg);
      const base = (bi * m + o) * od * oh * ow;
      for (let i = 0; i < od * oh * ow; i++) data[base + i] = b ? b.data[o] : 0;
      for (let ci = 0; ci < cg; ci++) {
        const cin = gi * cg + ci;
        for (let iz = 0; iz < D; iz++)
          for (let iy = 0; iy < H; iy++)
            for (let ix = 0; ix < W; ix++) {
              const v = x.data[(((bi * c + cin) * D + iz) * H + iy) * W + ix];
              for (let kz = 0; kz < kd; kz++) {
                const z = iz * sd - begin[0] + kz * dd;
                if (z < 0 || z >= od) continue;
                for (let ky = 0; ky < kh; ky++) {
                  const y = iy * sh - begin[1] + ky * dh;
                  if (y < 0 || y >= oh) continue;
                  for (let kx = 0; kx < kw; kx++) {
                    const xx = ix * sw - begin[2] + kx * dw;
                    if (xx < 0 || xx >= ow) continue;
                    data[base + (z * oh + y) * ow + xx] +=
                      v * w.data[(((cin * mg + (o % mg)) * kd + kz) * kh + ky) * kw + kx];
                  }
                }
              }
            }
      }
    }
  return { dims: [n, m, ...g.out], data };
}
