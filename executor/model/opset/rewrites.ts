/**
 * The rewrites of the opset table (executor/model/opset/table.ts): each turns a node of an older operator version
 * into the canonical (newest) form that the operator rules implement. They never compute anything at run time:
 * attributes that later became inputs become constant inputs, removed attributes are dropped (or refused when the
 * newest version cannot express them), and semantic changes become equivalent canonical nodes.
 */
import { attrInt, attrInts, attrFloat, type GraphNode } from "../graph";
import {
  type Rewrite,
  type RewriteContext,
  float32,
  int64,
  invalid,
  refuse,
  withAttributes,
  withInputs,
} from "./context";

/** Drops attributes that the canonical form no longer has and whose old meaning it keeps (consumed_inputs...). */
export const dropAttributes =
  (...names: string[]): Rewrite =>
  ({ node }) => [withAttributes(node, names)];

/** Refuses the operator at these opsets. */
export const refuseOperator =
  (detail: string): Rewrite =>
  ({ node }) =>
    refuse(node, detail);

/** Refuses attributes that the operator does not have before `since` (onnxruntime rejects them too). */
export const attributesSince =
  (table: Readonly<Record<string, number>>): Rewrite =>
  ({ node, opset }) => {
    for (const [name, since] of Object.entries(table)) {
      if (opset < since && node.attributes[name] !== undefined) {
        invalid(node, `attribute '${name}' exists only from opset ${since}, but the model imports opset ${opset}`);
      }
    }
    return [node];
  };

/**
 * An attribute that became an input at some opset: `attr` (ints) becomes an int64 constant at input position `at`
 * (earlier missing optional inputs are left empty). When the attribute is absent the input is left out.
 */
export const intsAttributeToInput =
  (attr: string, at: number, drop: readonly string[] = []): Rewrite =>
  (ctx) => {
    const { node } = ctx;
    const a = node.attributes[attr];
    const inputs = [...node.inputs];
    while (inputs.length < at) inputs.push("");
    if (a !== undefined) {
      if (a.kind !== "ints" && a.kind !== "int") invalid(node, `attribute '${attr}' must be a list of integers`);
      const v = a.kind === "ints" ? a.value : [a.value];
      inputs[at] = ctx.addConstant(`${node.name}_${attr}`, int64([v.length], v));
    }
    return [withInputs(withAttributes(node, [attr, ...drop]), inputs)];
  };

/** Softmax, LogSoftmax and Hardmax before 13: the input is coerced to 2-D at `axis` (default 1). */
export const coerceTo2d: Rewrite = (ctx) => {
  const { node } = ctx;
  const x = node.inputs[0];
  const dims = ctx.shape(x);
  if (!dims) refuse(node, `an input '${x}' of unknown shape (the opset < 13 form coerces it to 2-D at 'axis')`);
  const rank = dims.length;
  let axis = attrInt(node, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) invalid(node, `axis ${attrInt(node, "axis", 1)} is out of range for rank ${rank}`);
  // the last axis alone: the same result as the canonical op on axis -1
  if (axis === rank - 1) return [withAttributes(node, [], { axis: { kind: "int", value: -1 } })];
  const flat = ctx.fresh(`${node.name}_2d`);
  const inner = ctx.fresh(`${node.name}_2d_out`);
  const shape = ctx.addConstant(`${node.name}_shape`, int64([rank], dims));
  return [
    {
      name: ctx.fresh(`${node.name}_flatten`),
      opType: "Flatten",
      inputs: [x],
      outputs: [flat],
      attributes: { axis: { kind: "int", value: axis } },
    },
    { ...withAttributes(node, [], { axis: { kind: "int", value: -1 } }), inputs: [flat], outputs: [inner] },
    {
      name: ctx.fresh(`${node.name}_restore`),
      opType: "Reshape",
      inputs: [inner, shape],
      outputs: [node.outputs[0]],
      attributes: {},
    },
  ];
};

/** BatchNormalization before 9: `spatial` (0 = statistics per element, refused), `is_test` (6) dropped. */
export const batchNormLegacy: Rewrite = ({ node }) => {
  if (attrInt(node, "spatial", 1) !== 1) {
    refuse(node, "spatial = 0 (statistics per element rather than per channel, BatchNormalization before opset 9)");
  }
  return [withAttributes(node, ["spatial", "is_test", "consumed_inputs"])];
};

/** Gemm before 7: `broadcast` dropped (from 7 C always broadcasts unidirectionally to [M, N]). */
export const gemmLegacy: Rewrite = ({ node }) => [withAttributes(node, ["broadcast"])];

/**
 * Binary operators before 7: `broadcast` = 1 with `axis` aligns B with A starting at `axis` (not at the end, as
 * numpy does); B gets trailing 1-dims so that numpy broadcasting gives the same result (a constant B is reshaped, a
 * computed B goes through an Unsqueeze). Without `axis`, or with `broadcast` = 0, the numpy rule agrees.
 */
export const legacyBroadcast: Rewrite = (ctx) => {
  const { node } = ctx;
  const clean = withAttributes(node, ["broadcast", "axis", "consumed_inputs"]);
  if (attrInt(node, "broadcast", 0) !== 1 || node.attributes.axis === undefined) return [clean];
  const [a, b] = node.inputs;
  const ra = ctx.shape(a)?.length;
  const bDims = ctx.shape(b);
  if (ra === undefined || !bDims) refuse(node, "legacy broadcast with 'axis' on inputs of unknown rank");
  const rb = bDims.length;
  let axis = attrInt(node, "axis", 0);
  if (axis < 0) axis += ra;
  const trailing = ra - axis - rb;
  if (axis < 0 || trailing < 0) invalid(node, `broadcast axis ${attrInt(node, "axis", 0)} does not fit B in A`);
  if (trailing === 0) return [clean];
  const newDims = [...bDims, ...new Array<number>(trailing).fill(1)];
  const constB = ctx.constant(b);
  if (constB) {
    const name = ctx.addConstant(`${b}_aligned`, { ...constB, dims: newDims } as typeof constB);
    return [withInputs(clean, [a, name])];
  }
  const axes = ctx.addConstant(
    `${node.name}_axes`,
    int64(
      [trailing],
      Array.from({ length: trailing }, (_, i) => rb + i),
    ),
  );
  const aligned = ctx.fresh(`${b}_aligned`);
  return [
    {
      name: ctx.fresh(`${node.name}_align`),
      opType: "Unsqueeze",
      inputs: [b, axes],
      outputs: [aligned],
      attributes: {},
    },
    withInputs(clean, [a, aligned]),
  ];
};

/** Pad before 11: `pads` and `value` attributes become the pads and constant_value inputs. */
export const padAttributes: Rewrite = (ctx) => {
  const { node } = ctx;
  const pads = attrInts(node, "pads", attrInts(node, "paddings", []));
  if (pads.length === 0) invalid(node, "has no 'pads' attribute");
  const inputs = [node.inputs[0], ctx.addConstant(`${node.name}_pads`, int64([pads.length], pads))];
  if (node.attributes.value !== undefined) {
    inputs.push(ctx.addConstant(`${node.name}_value`, float32([], [attrFloat(node, "value", 0)])));
  }
  return [withInputs(withAttributes(node, ["pads", "paddings", "value"]), inputs)];
};

/** Slice before 10: `starts`, `ends` and `axes` attributes become inputs (steps 1). */
export const sliceAttributes: Rewrite = (ctx) => {
  const { node } = ctx;
  const starts = attrInts(node, "starts", []);
  const ends = attrInts(node, "ends", []);
  if (starts.length !== ends.length) invalid(node, "'starts' and 'ends' differ in length");
  const inputs = [
    node.inputs[0],
    ctx.addConstant(`${node.name}_starts`, int64([starts.length], starts)),
    ctx.addConstant(`${node.name}_ends`, int64([ends.length], ends)),
  ];
  if (node.attributes.axes !== undefined) {
    const axes = attrInts(node, "axes", []);
    inputs.push(ctx.addConstant(`${node.name}_axes`, int64([axes.length], axes)));
  }
  return [withInputs(withAttributes(node, ["starts", "ends", "axes"]), inputs)];
};

/** Split before 18: with no `split`, outputs are equal parts: `num_outputs` (18) says how many. */
export const splitEqualParts: Rewrite = ({ node }) => {
  if (node.inputs[1]) return [node];
  return [withAttributes(node, [], { num_outputs: { kind: "int", value: node.outputs.length } })];
};

/** Split before 13: the `split` attribute becomes an input, then as splitEqualParts. */
export const splitAttribute: Rewrite = (ctx) =>
  splitEqualParts({ ...ctx, node: intsAttributeToInput("split", 1)(ctx)[0] });

/** Clip before 11: `min` and `max` attributes become constant inputs (absent: unbounded, as before). */
export const clipAttributes: Rewrite = (ctx) => {
  const { node } = ctx;
  const inputs = [node.inputs[0], "", ""];
  if (node.attributes.min !== undefined)
    inputs[1] = ctx.addConstant(`${node.name}_min`, float32([], [attrFloat(node, "min", 0)]));
  if (node.attributes.max !== undefined)
    inputs[2] = ctx.addConstant(`${node.name}_max`, float32([], [attrFloat(node, "max", 0)]));
  return [withInputs(withAttributes(node, ["min", "max", "consumed_inputs"]), inputs)];
};

/** The rewrites of a node whose opset rows (table.ts) apply, in table order. */
export function applyAll(ctx: RewriteContext, rewrites: readonly Rewrite[]): GraphNode[] {
  let nodes = [ctx.node];
  for (const r of rewrites) {
    const next: GraphNode[] = [];
    for (const n of nodes) next.push(...(n.opType === ctx.node.opType ? r({ ...ctx, node: n }) : [n]));
    nodes = next;
  }
  return nodes;
}
