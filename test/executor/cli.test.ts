import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InvalidInputError, ShapeMismatchError } from "../../executor/errors";
import { infer } from "../../executor/infer";
import type { InspectReport } from "../../executor/inspect";
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import { cidOf } from "../../executor/model/cid";
import { encodeOnnx, encodeTensorProto } from "../../executor/model/onnx";
import { decodeProgram } from "../../executor/runtime/program";
import { programDigest, weightsRoot } from "../../executor/trace/weights";
import { makeError } from "ethers";
import { EXIT_BAD_INPUT, EXIT_UNEXPECTED, EXIT_USAGE, reportError } from "../../cli/main";
import { CliError, classifyChainError } from "../../cli/errors";
import { keyLockFile, withKeyLock } from "../../cli/key-lock";
import { controlFlowGraph } from "../helpers/control-flow";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "verity.js");

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  /** Why the child did not run to its end: killed at the timeout (ETIMEDOUT), or not started at all. */
  error?: Error;
  stdout: string;
  stderr: string;
}

function verity(...args: string[]): Run {
  return verityWithEnv({}, ...args);
}

function verityWithEnv(env: Record<string, string>, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, signal: r.signal, error: r.error, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/**
 * `verity <args>` that must exit 0 and print one JSON document. A child that failed, was killed at the timeout or
 * never started has an empty (or partial) stdout: the assertion names its status, signal and stderr instead of
 * letting JSON.parse report "Unexpected end of JSON input".
 */
function verityJson(...args: string[]): Record<string, unknown> {
  const r = verity(...args);
  const what = `verity ${args.join(" ")}: status ${r.status}, signal ${r.signal}${r.error ? ` (${r.error.message})` : ""}`;
  expect(r.status, `${what}\n${r.stderr}`).to.equal(0);
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch (e) {
    throw new Error(
      `${what}, but its stdout is not one JSON document (${(e as Error).message}): ${JSON.stringify(r.stdout)}`,
    );
  }
}

function pseudoRandom(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648 - 0.5;
  });
}

/** A 16-8-4 MLP with fixed weights, so the suite does not depend on the trained demo models. */
function tinyMlp(): Uint8Array {
  const b = new GraphBuilder("tiny", 13);
  const x = b.input("input", [1, 16]);
  const w1 = b.initializer("w1", tensorF32([8, 16], pseudoRandom(128, 1)));
  const b1 = b.initializer("b1", tensorF32([8], pseudoRandom(8, 2)));
  const h = b.node("Relu", [b.node("Gemm", [x, w1, b1], { transB: 1 })]);
  const w2 = b.initializer("w2", tensorF32([4, 8], pseudoRandom(32, 3)));
  const b2 = b.initializer("b2", tensorF32([4], pseudoRandom(4, 4)));
  b.output(b.node("Gemm", [h, w2, b2], { transB: 1 }), [1, 4]);
  return encodeOnnx(b.build());
}

describe("verity CLI", function () {
  this.timeout(120_000);
  let dir: string;
  let onnx: string;
  let calibration: string;
  let input: string;
  let out: string;
  const images = Array.from({ length: 24 }, (_, i) => pseudoRandom(16, 100 + i));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-cli-"));
    onnx = path.join(dir, "tiny.onnx");
    calibration = path.join(dir, "calibration.json");
    input = path.join(dir, "input.json");
    out = path.join(dir, "program");
    fs.writeFileSync(onnx, tinyMlp());
    fs.writeFileSync(calibration, JSON.stringify({ images, labels: images.map((_, i) => i % 4) }));
    fs.writeFileSync(input, JSON.stringify([images[3]]));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("model import", () => {
    it("writes program.bin and manifest.json and prints the CIDs, the weights root and the accuracy", () => {
      const r = verity("model", "import", onnx, "--calibration", calibration, "--out", out);
      expect(r.status, r.stderr).to.equal(0);
      const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
      const bytes = new Uint8Array(fs.readFileSync(path.join(out, "program.bin")));
      const program = decodeProgram(bytes);
      expect(manifest.artifactCid).to.equal(cidOf(new Uint8Array(fs.readFileSync(onnx))));
      expect(manifest.programCid).to.equal(cidOf(bytes));
      expect(manifest.programDigest).to.equal(programDigest(program));
      expect(manifest.weightsRoot).to.equal(weightsRoot(program));
      expect(manifest.layers).to.equal(program.layers.length);
      expect(manifest.inputShape).to.deep.equal([1, 16]);
      expect(manifest.outputShape).to.deep.equal([1, 4]);
      expect(manifest.accuracy.samples).to.equal(images.length);
      expect(manifest.accuracy.top1Agreement).to.be.within(0.75, 1);
      expect(manifest.accuracy.maxAbsError).to.be.within(0, 0.1);
      for (const v of [manifest.artifactCid, manifest.programCid, manifest.weightsRoot]) expect(r.stdout).to.contain(v);
      expect(r.stdout).to.match(/top-1 agreement with the float model \d+\.\d\d% on 24 samples, max abs error/);
    });
  });

  describe("model inspect", () => {
    /** An opset-6 export: Gemm with legacy broadcast, Dropout, Softmax coerced to 2-D, a symbolic batch. */
    function legacyModel(): Uint8Array {
      const b = new GraphBuilder("legacy", 6);
      const x = b.input("input", [-1, 16]);
      const w = b.initializer("w", tensorF32([4, 16], pseudoRandom(64, 5)));
      const y = b.node("Gemm", [x, w, b.initializer("c", tensorF32([4], pseudoRandom(4, 6)))], {
        transB: 1,
        broadcast: 1,
      });
      b.output(b.node("Softmax", [b.node("Dropout", [y], { is_test: 1 })]), [-1, 4]);
      return encodeOnnx(b.build());
    }

    /** Three refusals in one model: an operator without a kernel, one that cannot be folded, one unknown. */
    function refusedModel(): Uint8Array {
      const b = new GraphBuilder("refused", 13);
      const x = b.input("input", [1, 4]);
      const e = b.node("Erf", [b.node("Hardmax", [x], {}, { name: "hardmax0" })], {}, { name: "erf0" });
      const c = b.node("Cast", [e], { to: 1 }, { name: "cast0" });
      b.output(b.node("Relu", [b.node("GRU", [c], {}, { name: "gru0" })]), [1, 4]);
      return encodeOnnx(b.buildUnchecked());
    }

    it("--json reports the opset, every node's fate, the simplified graph and each layer's state and proof bounds", () => {
      const file = path.join(dir, "legacy.onnx");
      fs.writeFileSync(file, legacyModel());
      const r = verityJson("model", "inspect", file, "--json") as unknown as InspectReport;
      expect([r.opset, r.canonicalOpset]).to.deep.equal([6, 22]);
      expect(r.inputs).to.deep.equal([{ name: "input", dims: [-1, 16], bound: [1, 16] }]);
      expect(r.operators).to.deep.equal({ Gemm: 1, Dropout: 1, Softmax: 1 });
      expect(r.nodes.map((n) => n.status)).to.deep.equal(["rewritten", "rewritten", "rewritten"]);
      expect(r.refusals).to.deep.equal([]);
      expect(r.simplified.nodes.map((n) => n.op)).to.deep.equal(["Gemm", "Softmax"]);
      const layers = r.program!.layers;
      expect(layers.map((l) => l.op)).to.deep.equal(["Gemm", "Softmax"]);
      expect(layers[0].stateBytes).to.equal(16);
      for (const l of layers) expect(l.gas).to.be.within(1, 5_000_000);
      const text = verity("model", "inspect", file);
      expect(text.status, text.stderr).to.equal(0);
      expect(text.stdout).to.match(/opset\s+6 \(normalized to the opset-22 form\)/);
      expect(text.stdout).to.contain("worst one-step proof: layer");
    });

    it("lists every refusal with the node and the reason, then exits 2", () => {
      const file = path.join(dir, "refused.onnx");
      fs.writeFileSync(file, refusedModel());
      const r = verity("model", "inspect", file, "--json");
      expect(r.status).to.equal(EXIT_BAD_INPUT);
      const report = JSON.parse(r.stdout) as InspectReport;
      expect(report.nodes.filter((n) => n.status === "refused").map((n) => n.name)).to.deep.equal([
        "hardmax0",
        "cast0",
        "gru0",
      ]);
      expect(report.refusals.join("\n")).to.contain("node 'cast0' (Cast) cannot be computed before quantization");
      expect(report.program).to.equal(undefined);
      expect(r.stderr).to.contain("cannot be imported: 3 problem(s)");
      const text = verity("model", "inspect", file);
      expect(text.stdout).to.contain("node 'gru0' uses GRU");
    });

    it("R12-3: a model with an If prints its table with the If refused for control flow (exit 2); import refuses it, naming the node (exit 2)", () => {
      const file = path.join(dir, "branchy.onnx");
      fs.writeFileSync(file, encodeOnnx(controlFlowGraph()));
      const text = verity("model", "inspect", file);
      expect(text.status, text.stderr).to.equal(EXIT_BAD_INPUT);
      const row = text.stdout.split("\n").find((l) => l.startsWith("if0 "));
      expect(row, text.stdout).to.match(/^if0\s+If\s+refused\s+node 'if0' \(If\) is control flow/);
      expect(row).to.contain("control flow cannot be a static integer program");
      expect(text.stdout).to.match(/^relu0\s+Relu\s+supported/m);
      expect(text.stderr).to.contain("cannot be imported: 2 problem(s)");
      const branchyCalibration = path.join(dir, "branchy-calibration.json");
      fs.writeFileSync(branchyCalibration, JSON.stringify([[1, 2, 3, -1]]));
      const imported = verity("model", "import", file, "-c", branchyCalibration, "-o", path.join(dir, "branchy"));
      expect(imported.status).to.equal(EXIT_BAD_INPUT);
      expect(imported.stderr).to.contain("node 'if0' (If) is control flow");
      expect(imported.stderr).to.contain("hint: a program is one fixed sequence of layers");
      expect(fs.existsSync(path.join(dir, "branchy"))).to.equal(false);
    });
  });

  describe("infer", () => {
    it("--json prints exactly output, shape, traceRoot, programDigest, artifactCid and steps, matching the library", () => {
      const json = verityJson("infer", "--model", out, "--input", input, "--json");
      expect(Object.keys(json).sort()).to.deep.equal([
        "artifactCid",
        "output",
        "programDigest",
        "shape",
        "steps",
        "traceRoot",
      ]);
      const program = decodeProgram(new Uint8Array(fs.readFileSync(path.join(out, "program.bin"))));
      const expected = infer(program, Float32Array.from(images[3]));
      expect(json.output).to.deep.equal(Array.from(expected.outputFloat));
      expect(json.shape).to.deep.equal([1, 4]);
      expect(json.traceRoot).to.equal(expected.trace.traceRoot);
      expect(json.programDigest).to.equal(programDigest(program));
      expect(json.artifactCid).to.equal(cidOf(new Uint8Array(fs.readFileSync(onnx))));
      expect(json.steps).to.equal(program.layers.length);
    });

    it("gives the same program from a float .onnx with the same calibration, and reads a TensorProto .pb input", () => {
      const pb = path.join(dir, "input.pb");
      fs.writeFileSync(pb, encodeTensorProto({ dtype: "float32", dims: [1, 16], data: Float32Array.from(images[3]) }));
      // What the imported program directory gives (the previous test checks the CLI prints exactly this for it).
      const program = decodeProgram(new Uint8Array(fs.readFileSync(path.join(out, "program.bin"))));
      const expected = infer(program, Float32Array.from(images[3]));
      const json = verityJson("infer", "--model", onnx, "--input", pb, "--calibration", calibration, "--json");
      expect(json).to.deep.equal({
        output: Array.from(expected.outputFloat),
        shape: [1, 4],
        traceRoot: expected.trace.traceRoot,
        programDigest: programDigest(program),
        artifactCid: cidOf(new Uint8Array(fs.readFileSync(onnx))),
        steps: program.layers.length,
      });
    });

    it("calibrates on the input itself when a float .onnx comes without calibration, and accepts a flat array with --shape", () => {
      const flat = path.join(dir, "flat.json");
      fs.writeFileSync(flat, JSON.stringify(images[5]));
      const r = verity("infer", "--model", onnx, "--input", flat, "--shape", "1,16");
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/traceRoot\s+0x[0-9a-f]{64}/);
      expect(r.stdout).to.match(/steps\s+2/);
    });
  });

  describe("configuration", () => {
    it("takes --model from VERITY_MODEL when the flag is absent", () => {
      const fromFlag = verity("infer", "--model", out, "--input", input, "--json");
      const fromEnv = verityWithEnv({ VERITY_MODEL: out }, "infer", "--input", input, "--json");
      expect(fromFlag.status, fromFlag.stderr).to.equal(0);
      expect(fromEnv.status, fromEnv.stderr).to.equal(0);
      expect(fromEnv.stdout).to.equal(fromFlag.stdout);
    });
  });

  describe("C2: bad input", () => {
    it("exits 2 with a clear message for a missing input file", () => {
      const r = verity("infer", "--model", out, "--input", path.join(dir, "nope.json"), "--json");
      expect(r.status).to.equal(EXIT_BAD_INPUT);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.match(/^error: input file '.*nope\.json' does not exist\nhint: check the path/);
    });

    it("exits 2 for malformed JSON", () => {
      const bad = path.join(dir, "bad.json");
      fs.writeFileSync(bad, "[0.1, 0.2,");
      const r = verity("infer", "--model", out, "--input", bad);
      expect(r.status).to.equal(EXIT_BAD_INPUT);
      expect(r.stderr).to.match(/^error: input file '.*bad\.json' is not valid JSON/);
    });

    it("exits 2 for an input of the wrong shape, naming both shapes", () => {
      const wrong = path.join(dir, "wrong.json");
      fs.writeFileSync(wrong, JSON.stringify([images[0].slice(0, 15)]));
      const r = verity("infer", "--model", out, "--input", wrong);
      expect(r.status).to.equal(EXIT_BAD_INPUT);
      expect(r.stderr).to.contain("holds a tensor of shape [1, 15] (15 values), but the model expects shape [1, 16]");
    });

    it("X10-3: exits 2 naming the layer when one of its steps could not be proven on-chain (StepWitnessTooLargeError)", () => {
      // 4 inputs -> 24,000 hidden units -> 1: both Gemms are past the one-step proof bound, the first by its descriptor
      // (bias, multiplier and shift of 24,000 output channels), the second by its row of 24,000 weights
      const g = new GraphBuilder("too-wide", 13);
      const x = g.input("input", [1, 4]);
      const hidden = 24_000;
      const w1 = g.initializer("w1", tensorF32([hidden, 4], pseudoRandom(hidden * 4, 5)));
      const h = g.node("Relu", [g.node("Gemm", [x, w1], { transB: 1 })]);
      const w2 = g.initializer("w2", tensorF32([1, hidden], pseudoRandom(hidden, 6)));
      g.output(g.node("Gemm", [h, w2], { transB: 1 }), [1, 1]);
      const wide = path.join(dir, "too-wide.onnx");
      const cal = path.join(dir, "too-wide-calibration.json");
      fs.writeFileSync(wide, encodeOnnx(g.build()));
      fs.writeFileSync(cal, JSON.stringify([pseudoRandom(4, 7), pseudoRandom(4, 8)]));
      const r = verity("model", "import", wide, "--calibration", cal, "--out", path.join(dir, "too-wide"));
      expect(r.status, r.stderr).to.equal(EXIT_BAD_INPUT);
      expect(r.stdout).to.equal("");
      expect(r.stderr).to.match(
        /^error: layer 0 \(Gemm\): the one-step proof of an element needs up to \d+ bytes of calldata \(limit 130048\) and \d+ gas \(limit 5000000\)/,
      );
      expect(r.stderr).to.match(/\nhint: every layer must be provable on-chain in one step/);
      expect(fs.existsSync(path.join(dir, "too-wide", "program.bin"))).to.equal(false);
    });

    it("exits 64 for a usage error (unknown option, missing required option)", () => {
      expect(verity("infer", "--model", out, "--input", input, "--frobnicate").status).to.equal(EXIT_USAGE);
      const r = verity("model", "import", onnx, "--out", out);
      expect(r.status).to.equal(EXIT_USAGE);
      expect(r.stderr).to.contain("--calibration");
    });
  });

  describe("reportError", () => {
    it("maps VerityErrors to exit 2 with a hint, and anything else to exit 1 with the stack", () => {
      let text = "";
      const sink = (s: string): void => void (text += s);
      expect(reportError(new ShapeMismatchError("x has shape [2]"), sink)).to.equal(EXIT_BAD_INPUT);
      expect(text).to.match(/^error: x has shape \[2\]\nhint: .*--shape/);
      text = "";
      expect(reportError(new InvalidInputError("bad"), sink)).to.equal(EXIT_BAD_INPUT);
      text = "";
      expect(reportError(new TypeError("boom"), sink)).to.equal(EXIT_UNEXPECTED);
      expect(text).to.contain("TypeError: boom");
      expect(text).to.contain("cli.test.ts");
    });
  });

  describe("C2: wallet and RPC errors", () => {
    // What ethers throws for each (its code), and what nodes answer (hardhat node, anvil, geth messages).
    const cases: [string, unknown, RegExp, RegExp][] = [
      [
        "no native gas (ethers code)",
        makeError("insufficient funds for intrinsic transaction cost", "INSUFFICIENT_FUNDS", {
          transaction: {},
        }),
        /cannot pay for gas/,
        /native currency/,
      ],
      [
        "no native gas (anvil's message on estimateGas)",
        Object.assign(new Error("could not coalesce error"), {
          code: "UNKNOWN_ERROR",
          error: { code: -32003, message: "Insufficient funds for gas * price + value" },
        }),
        /cannot pay for gas/,
        /native currency/,
      ],
      [
        "nonce too low",
        makeError("nonce has already been used", "NONCE_EXPIRED", { transaction: {} }),
        /nonce too low/,
        /another process sent from this key/,
      ],
      [
        "replacement fee too low",
        makeError("replacement fee too low", "REPLACEMENT_UNDERPRICED", { transaction: {} }),
        /replacement fee too low/,
        /wait for its transaction/,
      ],
      [
        "underpriced",
        Object.assign(new Error("could not coalesce error"), {
          error: { code: -32000, message: "transaction underpriced" },
        }),
        /underpriced/,
        /base fee/,
      ],
      [
        "RPC down",
        Object.assign(new Error("request failed"), { code: "ECONNREFUSED" }),
        /lost the connection/,
        /still running/,
      ],
    ];
    for (const [what, error, message, hint] of cases) {
      it(`exit 2 with a hint, no stack: ${what}`, () => {
        const known = classifyChainError(error, "stake");
        expect(known, what).to.be.instanceOf(CliError);
        expect(known!.message).to.match(message);
        expect(known!.hint).to.match(hint);
        let text = "";
        expect(reportError(error, (t) => void (text += t))).to.equal(EXIT_BAD_INPUT);
        expect(text).to.match(/^error: the command failed: /);
        expect(text).to.not.match(/\n\s+at /); // no stack
      });
    }

    it("the per-key lock: taken over from a dead process, waited for while a live one holds it", async () => {
      const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-lock-"));
      try {
        const file = keyLockFile(lockDir, 31337n, "0xAbC");
        expect(path.basename(file)).to.equal("31337-0xabc.lock");
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, "999999999"); // no such process
        expect(await withKeyLock(file, async () => "ran")).to.equal("ran");
        expect(fs.existsSync(file)).to.equal(false);
        fs.writeFileSync(file, String(process.pid)); // a live holder
        let error: unknown;
        await withKeyLock(file, async () => "ran", 300).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(CliError);
        expect((error as CliError).message).to.contain(`pid ${process.pid}`);
      } finally {
        fs.rmSync(lockDir, { recursive: true, force: true });
      }
    });

    it("leaves an error it does not know to exit 1 (a bug)", () => {
      expect(classifyChainError(new TypeError("boom"), "stake")).to.equal(null);
    });

    it("ends quietly when the reader of its output goes away (verity --help | head -1)", () => {
      const r = spawnSync("bash", ["-c", `set -o pipefail; node ${BIN} --help | head -1`], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(r.stdout).to.match(/^Usage: verity/);
      expect(r.stderr).to.equal("");
      expect(r.status).to.equal(0);
    });
  });
});
