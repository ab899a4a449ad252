/**
 * Every error the executor raises on purpose. Callers (the CLI, the daemons, the fuzz tests) rely on
 * `instanceof VerityError`: anything else escaping the executor is a bug.
 */
export class VerityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are not a well-formed ONNX ModelProto (truncated, corrupted, wrong magic...). */
export class OnnxDecodeError extends VerityError {}

/** The model decodes, but is not a graph Verity can run (cycles, missing initializers, NaN weights, empty graph...). */
export class InvalidModelError extends VerityError {}

/** A node uses an operator (or an attribute value) Verity does not implement. */
export class UnsupportedOperatorError extends VerityError {
  constructor(
    readonly nodeName: string,
    readonly opType: string,
    supported: readonly string[],
    detail?: string,
  ) {
    super(
      detail
        ? `node '${nodeName}' uses ${opType} with ${detail}, which Verity does not support yet`
        : `node '${nodeName}' uses ${opType}, which Verity does not support yet (supported: ${supported.join(", ")})`,
    );
  }
}

/** Tensor shapes that do not fit together (model vs input, operator operands, broadcasting). */
export class ShapeMismatchError extends VerityError {}

/** An input that is not usable: wrong dtype, NaN/Inf, unparseable JSON or TensorProto. */
export class InvalidInputError extends VerityError {}

/** The bytes are not a well-formed Verity program (wrong magic or version, truncated, inconsistent layer data). */
export class ProgramDecodeError extends VerityError {}

/**
 * A layer whose one-step proof could not be sent on-chain: neither witness of its worst element fits the calldata
 * and gas limits (executor/runtime/step-witness.ts), so a node could lie in that step with impunity.
 */
export class StepWitnessTooLargeError extends ProgramDecodeError {
  constructor(
    readonly layer: number,
    readonly op: string,
    readonly calldata: number,
    readonly maxCalldata: number,
    readonly gas: number,
    readonly maxGas: number,
  ) {
    super(
      `layer ${layer} (${op}): the one-step proof of an element needs up to ${calldata} bytes of calldata ` +
        `(limit ${maxCalldata}) and ${gas} gas (limit ${maxGas}), so a wrong result of this layer could not be ` +
        `proven on-chain; split the layer (fewer input features or channels, a smaller window or axis)`,
    );
  }
}

/**
 * The model imports a default-domain opset outside the range Verity reads (executor/model/opset), or a node of an
 * operator that its opset does not define yet. `opset` is the model's default-domain opset.
 */
export class UnsupportedOpsetError extends InvalidModelError {
  constructor(
    readonly opset: number,
    message: string,
    readonly nodeName?: string,
  ) {
    super(message);
  }
}

/**
 * A graph input whose shape cannot be fixed: a symbolic (`dim_param`, 0 or -1) dimension other than the batch
 * dimension (axis 0, bound to 1).
 */
export class DynamicShapeError extends InvalidModelError {
  constructor(
    readonly input: string,
    readonly axis: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A node that must be computed away before quantization (a shape sub-graph, an operator whose inputs must be
 * constants, a Constant-like node) but cannot be: `reason` says why (executor/model/simplify).
 */
export class UnfoldableNodeError extends UnsupportedOperatorError {
  constructor(
    nodeName: string,
    opType: string,
    readonly reason: string,
  ) {
    super(nodeName, opType, [], reason);
    this.message = `node '${nodeName}' (${opType}) cannot be computed before quantization: ${reason}`;
  }
}

/**
 * A control-flow node (If, Loop, Scan, SequenceMap: an operator whose attributes are sub-graphs). Which layers run
 * would depend on the data, while a Verity program is one fixed sequence of integer layers that every party
 * re-executes and bisects step by step: control flow cannot be a static integer program. `attribute` names the
 * node's first sub-graph attribute when it is known.
 */
export class ControlFlowError extends UnsupportedOperatorError {
  constructor(
    nodeName: string,
    opType: string,
    readonly attribute?: string,
  ) {
    super(nodeName, opType, []);
    this.message =
      `node '${nodeName}' (${opType}) is control flow${attribute ? ` (sub-graph attribute '${attribute}')` : ""}: ` +
      `control flow cannot be a static integer program, since the layers that run would depend on the data; ` +
      `export the model with the branch resolved or the loop unrolled (e.g. trace one fixed path)`;
  }
}

/** A node of an operator domain other than the default ONNX one (custom operators, ai.onnx.ml, com.microsoft...). */
export class UnsupportedDomainError extends UnsupportedOperatorError {
  constructor(
    nodeName: string,
    opType: string,
    readonly domain: string,
    /** The model's default-domain opset. */
    readonly opset: number,
    detail: string,
  ) {
    super(nodeName, `${domain}.${opType}`, [], detail);
  }
}
