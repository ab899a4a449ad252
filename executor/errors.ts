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
