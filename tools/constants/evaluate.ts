/**
 * Evaluates the initializer of a Solidity `constant` from its AST, the way solc does, for the expressions the
 * protocol's constants use: number, string, hex and address literals (with `ether`/`days`-style units), the
 * arithmetic and bitwise operators, references to other constants, `type(T).max`/`min`, type conversions and
 * `keccak256` of a literal. Anything else is refused with the constant's name, rather than guessed.
 */
import { getAddress, hexlify, keccak256, toBeHex, toUtf8Bytes, zeroPadValue } from "ethers";

import type { AstNode, CompilationUnit } from "./build-info";

export type Value =
  | { kind: "int"; value: bigint }
  | { kind: "bytes"; hex: string }
  | { kind: "string"; text: string }
  | { kind: "bool"; value: boolean }
  | { kind: "address"; hex: string };

export class UnsupportedExpressionError extends Error {}

const UNITS: Record<string, bigint> = {
  wei: 1n,
  gwei: 10n ** 9n,
  ether: 10n ** 18n,
  seconds: 1n,
  minutes: 60n,
  hours: 3_600n,
  days: 86_400n,
  weeks: 604_800n,
};

/** A Solidity number literal (`1_000`, `0x0f`, `1e9`, `1.5`) times its unit, which must come out whole. */
export function parseNumber(text: string, unit?: string): bigint {
  const t = text.replace(/_/g, "");
  const factor = unit === undefined ? 1n : UNITS[unit];
  if (factor === undefined) throw new UnsupportedExpressionError(`unknown unit '${unit}'`);
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t) * factor;
  const m = /^(\d*)(?:\.(\d*))?(?:e(-?\d+))?$/i.exec(t);
  if (m === null) throw new UnsupportedExpressionError(`not a number literal: ${text}`);
  const [, whole, fraction = "", exponent = "0"] = m;
  let num = BigInt(`${whole}${fraction}` || "0") * factor;
  let den = 10n ** BigInt(fraction.length);
  const e = Number(exponent);
  if (e >= 0) num *= 10n ** BigInt(e);
  else den *= 10n ** BigInt(-e);
  if (num % den !== 0n) throw new UnsupportedExpressionError(`${text} is not a whole number`);
  return num / den;
}

/** The bit width of `uint<N>`/`int<N>` and whether it is signed, or null for other types. */
export function intType(typeString: string): { bits: number; signed: boolean } | null {
  const m = /^(u?)int(\d*)$/.exec(typeString);
  if (m === null) return null;
  return { bits: m[2] === "" ? 256 : Number(m[2]), signed: m[1] === "" };
}

function intRange(t: { bits: number; signed: boolean }): [bigint, bigint] {
  return t.signed ? [-(1n << BigInt(t.bits - 1)), (1n << BigInt(t.bits - 1)) - 1n] : [0n, (1n << BigInt(t.bits)) - 1n];
}

function bytesOf(v: Value): string {
  switch (v.kind) {
    case "bytes":
    case "address":
      return v.hex.toLowerCase();
    case "string":
      return hexlify(toUtf8Bytes(v.text));
    default:
      throw new UnsupportedExpressionError(`no bytes for a ${v.kind}`);
  }
}

/** `v` converted to the Solidity type `typeString` (explicitly or implicitly: both are checked, never wrapped). */
export function convert(v: Value, typeString: string): Value {
  const int = intType(typeString);
  if (int !== null) {
    const value = v.kind === "int" ? v.value : v.kind === "bytes" ? BigInt(v.hex) : null;
    if (value === null) throw new UnsupportedExpressionError(`cannot convert a ${v.kind} to ${typeString}`);
    const [min, max] = intRange(int);
    if (value < min || value > max) throw new UnsupportedExpressionError(`${value} does not fit ${typeString}`);
    return { kind: "int", value };
  }
  const fixed = /^bytes(\d+)$/.exec(typeString);
  if (fixed !== null) {
    const size = Number(fixed[1]);
    if (v.kind === "int") return { kind: "bytes", hex: toBeHex(v.value, size) };
    const hex = bytesOf(v);
    const length = (hex.length - 2) / 2;
    if (length > size) throw new UnsupportedExpressionError(`${length} bytes do not fit ${typeString}`);
    // Literals (strings, hex) are left-aligned in a bytesN, like solc does.
    return { kind: "bytes", hex: hex + "00".repeat(size - length) };
  }
  if (typeString === "address" || typeString === "address payable") {
    if (v.kind === "int") return { kind: "address", hex: getAddress(zeroPadValue(toBeHex(v.value), 20)) };
    if (v.kind === "address") return v;
    if (v.kind === "bytes" && v.hex.length === 42) return { kind: "address", hex: getAddress(v.hex) };
    throw new UnsupportedExpressionError(`cannot convert a ${v.kind} to an address`);
  }
  if (typeString === "string" || typeString.startsWith("literal_string")) {
    if (v.kind !== "string") throw new UnsupportedExpressionError(`cannot convert a ${v.kind} to a string`);
    return v;
  }
  if (typeString === "bool") {
    if (v.kind !== "bool") throw new UnsupportedExpressionError(`cannot convert a ${v.kind} to a bool`);
    return v;
  }
  if (typeString.startsWith("int_const") || typeString.startsWith("enum ")) {
    if (v.kind !== "int") throw new UnsupportedExpressionError(`cannot convert a ${v.kind} to ${typeString}`);
    return v;
  }
  throw new UnsupportedExpressionError(`unsupported type ${typeString}`);
}

function typeOf(node: AstNode): string {
  return node.typeDescriptions?.typeString ?? "";
}

function intOf(v: Value): bigint {
  if (v.kind !== "int") throw new UnsupportedExpressionError(`expected a number, got a ${v.kind}`);
  return v.value;
}

function binary(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case "+":
      return a + b;
    case "-":
      return a - b;
    case "*":
      return a * b;
    case "/":
      if (b === 0n) throw new UnsupportedExpressionError("division by zero");
      return a / b;
    case "%":
      if (b === 0n) throw new UnsupportedExpressionError("division by zero");
      return a % b;
    case "**":
      return a ** b;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case "|":
      return a | b;
    case "&":
      return a & b;
    case "^":
      return a ^ b;
    default:
      throw new UnsupportedExpressionError(`operator ${op}`);
  }
}

export class Evaluator {
  constructor(private readonly unit: CompilationUnit) {}

  /** The value of a `constant` declaration, converted to its declared type. */
  constant(decl: AstNode): Value {
    if (!decl.constant || typeof decl.value !== "object")
      throw new UnsupportedExpressionError(`${decl.name} is not a constant`);
    return convert(this.evaluate(decl.value), typeOf(decl));
  }

  evaluate(node: AstNode): Value {
    const v = this.evaluateRaw(node);
    // solc types every constant sub-expression as `int_const <value>`: a free check of the arithmetic above.
    const folded = /^int_const (-?\d+)$/.exec(typeOf(node));
    if (folded !== null && (v.kind !== "int" || v.value !== BigInt(folded[1]))) {
      throw new UnsupportedExpressionError(
        `evaluated ${node.nodeType} to ${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x))}, solc says ${folded[1]}`,
      );
    }
    return v;
  }

  private evaluateRaw(node: AstNode): Value {
    switch (node.nodeType) {
      case "Literal":
        return this.literal(node);
      case "TupleExpression":
        if (node.components?.length !== 1 || !node.components[0]) throw new UnsupportedExpressionError("a tuple");
        return this.evaluate(node.components[0]);
      case "Identifier":
      case "MemberAccess":
        return this.reference(node);
      case "UnaryOperation": {
        const x = intOf(this.evaluate(node.subExpression!));
        if (node.operator === "-") return { kind: "int", value: -x };
        if (node.operator === "~") {
          const t = intType(typeOf(node));
          const value = t === null || t.signed ? -x - 1n : ((1n << BigInt(t.bits)) - 1n) ^ x;
          return { kind: "int", value };
        }
        throw new UnsupportedExpressionError(`unary ${node.operator}`);
      }
      case "BinaryOperation": {
        const value = binary(
          node.operator!,
          intOf(this.evaluate(node.leftExpression!)),
          intOf(this.evaluate(node.rightExpression!)),
        );
        return convert({ kind: "int", value }, typeOf(node));
      }
      case "FunctionCall":
        return this.call(node);
      default:
        throw new UnsupportedExpressionError(node.nodeType);
    }
  }

  private literal(node: AstNode): Value {
    const text = typeof node.value === "string" ? node.value : undefined;
    switch (node.kind) {
      case "number":
        if (text === undefined) throw new UnsupportedExpressionError("a number literal without text");
        if (typeOf(node) === "address") return { kind: "address", hex: getAddress(text) };
        return { kind: "int", value: parseNumber(text, node.subdenomination) };
      case "string":
        return { kind: "string", text: text ?? Buffer.from(node.hexValue ?? "", "hex").toString("utf8") };
      case "hexString":
        return { kind: "bytes", hex: `0x${node.hexValue ?? ""}` };
      case "bool":
        return { kind: "bool", value: text === "true" };
      default:
        throw new UnsupportedExpressionError(`${node.kind} literal`);
    }
  }

  private reference(node: AstNode): Value {
    if (node.nodeType === "MemberAccess" && (node.memberName === "max" || node.memberName === "min")) {
      const of = /^type\((.*)\)$/.exec(typeOf(node.expression!));
      const t = of === null ? null : intType(of[1]);
      if (t !== null) return { kind: "int", value: intRange(t)[node.memberName === "max" ? 1 : 0] };
    }
    const decl =
      node.referencedDeclaration === undefined ? undefined : this.unit.declaration(node.referencedDeclaration);
    if (decl?.nodeType !== "VariableDeclaration")
      throw new UnsupportedExpressionError(`a reference to ${decl?.nodeType ?? node.name ?? node.memberName}`);
    return this.constant(decl);
  }

  private call(node: AstNode): Value {
    const args = node.arguments ?? [];
    if (node.kind === "typeConversion" && args.length === 1) return convert(this.evaluate(args[0]), typeOf(node));
    if (
      node.kind === "functionCall" &&
      node.expression?.nodeType === "Identifier" &&
      node.expression.name === "keccak256" &&
      args.length === 1
    ) {
      return { kind: "bytes", hex: keccak256(bytesOf(this.evaluate(args[0]))) };
    }
    throw new UnsupportedExpressionError(`a call of ${node.expression?.name ?? node.expression?.nodeType ?? "?"}`);
  }
}
