import { expect } from "chai";
import fc from "fast-check";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { InvalidInputError, InvalidModelError, OnnxDecodeError, VerityError } from "../../executor/errors";
import { SUPPORTED_OPERATORS, type Graph } from "../../executor/model/graph";
import { decodeOnnx, decodeTensorProto, encodeOnnx, encodeTensorProto, loadOnnx } from "../../executor/model/onnx";
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import { prepareGraph } from "../../executor/model/simplify";
import { onnx } from "onnx-proto";
import { allOperatorsBuilder, cnnGraph, mlpGraph, prng, randomData } from "../helpers/onnx-fixtures";

type Mutator = (src: Uint8Array, rand: () => number, donor: Uint8Array) => Uint8Array;

/** A position biased towards the first and last 512 bytes, where the graph structure lives (weights are between). */
function position(len: number, rand: () => number): number {
  const r = rand();
  if (len <= 1024 || r < 0.4) return Math.floor(rand() * len);
  if (r < 0.7) return Math.floor(rand() * 512);
  return len - 1 - Math.floor(rand() * 512);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const MUTATORS: Record<string, Mutator> = {
  bitFlips: (src, rand) => {
    const out = Uint8Array.from(src);
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) out[position(out.length, rand)] ^= 1 << Math.floor(rand() * 8);
    return out;
  },
  truncate: (src, rand) => src.slice(0, Math.floor(rand() * src.length)),
  splice: (src, rand, donor) => {
    const at = position(src.length, rand);
    const from = Math.floor(rand() * donor.length);
    const len = 1 + Math.floor(rand() * 64);
    return concat(src.subarray(0, at), donor.subarray(from, from + len), src.subarray(at + len));
  },
  insert: (src, rand) => {
    const at = position(src.length, rand);
    const junk = Uint8Array.from({ length: 1 + Math.floor(rand() * 16) }, () => Math.floor(rand() * 256));
    return concat(src.subarray(0, at), junk, src.subarray(at));
  },
  deleteRange: (src, rand) => {
    const at = position(src.length, rand);
    return concat(src.subarray(0, at), src.subarray(at + 1 + Math.floor(rand() * 32)));
  },
  magicByte: (src, rand) => {
    const out = Uint8Array.from(src);
    const values = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x08, 0x0a, 0x12];
    out[position(out.length, rand)] = values[Math.floor(rand() * values.length)];
    return out;
  },
  nudge: (src, rand) => {
    // +-1 on a byte: turns length prefixes and varints into off-by-one lengths, field numbers into neighbours.
    const out = Uint8Array.from(src);
    const at = position(out.length, rand);
    out[at] = (out[at] + (rand() < 0.5 ? 1 : 255)) & 0xff;
    return out;
  },
  duplicate: (src, rand) => {
    const at = position(src.length, rand);
    const len = 1 + Math.floor(rand() * 48);
    return concat(src.subarray(0, at + len), src.subarray(at, at + len), src.subarray(at + len));
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

interface Tally {
  loaded: number;
  byError: Record<string, number>;
}

/**
 * Mutates `seedBytes` `cases` times and loads each mutant. Every outcome must be a Graph or a VerityError; an
 * accepted mutant must still round-trip (encode, load, encode gives the same bytes).
 */
function fuzzModel(label: string, seedBytes: Uint8Array, donor: Uint8Array, cases: number, seed: number): Tally {
  const rand = prng(seed);
  const tally: Tally = { loaded: 0, byError: {} };
  for (let c = 0; c < cases; c++) {
    const mutator = MUTATOR_NAMES[c % MUTATOR_NAMES.length];
    const mutant = MUTATORS[mutator](seedBytes, rand, donor);
    let graph: Graph | undefined;
    try {
      graph = loadOnnx(mutant);
    } catch (e) {
      if (!(e instanceof VerityError)) {
        expect.fail(`${label} case ${c} (${mutator}) threw a non-Verity error: ${(e as Error)?.stack ?? String(e)}`);
      }
      expect(e.message.length, `${label} case ${c}: empty message`).to.be.greaterThan(10);
      tally.byError[e.constructor.name] = (tally.byError[e.constructor.name] ?? 0) + 1;
    }
    if (graph) {
      tally.loaded++;
      const again = encodeOnnx(graph);
      expect(
        Buffer.from(encodeOnnx(loadOnnx(again))).equals(Buffer.from(again)),
        `${label} case ${c} round trip`,
      ).to.equal(true);
    }
  }
  if (process.env.VERITY_FUZZ_VERBOSE) console.log(`      ${label}: ${JSON.stringify(tally)}`);
  return tally;
}

describe("ONNX loader fuzz", function () {
  const mlp = encodeOnnx(mlpGraph([64, 32, 10]));
  const cnn = encodeOnnx(cnnGraph());
  const allOps = encodeOnnx(allOperatorsBuilder().buildUnchecked()); // keeps its Constant nodes

  it("E7: mutated MLP-shaped models load or throw a VerityError, quickly (250 cases)", function () {
    const t = fuzzModel("mlp", mlp, cnn, 250, 101);
    expect(t.loaded, JSON.stringify(t)).to.be.greaterThan(0);
    expect(t.byError[OnnxDecodeError.name] ?? 0, JSON.stringify(t)).to.be.greaterThan(0);
    expect(t.byError[InvalidModelError.name] ?? 0, JSON.stringify(t)).to.be.greaterThan(0);
  });

  it("E7: mutated CNN-shaped models load or throw a VerityError, quickly (250 cases)", function () {
    const t = fuzzModel("cnn", cnn, mlp, 250, 202);
    expect(t.loaded, JSON.stringify(t)).to.be.greaterThan(0);
    expect(t.byError[OnnxDecodeError.name] ?? 0, JSON.stringify(t)).to.be.greaterThan(0);
  });

  it("E7: mutated every-operator models (attributes, Constant nodes, int64 tensors) behave the same (200 cases)", function () {
    const t = fuzzModel("all_ops", allOps, mlp, 200, 303);
    expect(t.loaded + Object.values(t.byError).reduce((a, b) => a + b, 0)).to.equal(200);
    expect(Object.keys(t.byError).length, JSON.stringify(t)).to.be.greaterThan(1);
  });

  for (const file of ["mlp.onnx", "cnn.onnx"]) {
    const path = join(__dirname, "..", "..", "models", file);
    it(`E7: mutated demo model models/${file} loads or throws a VerityError (150 cases, skipped if absent)`, function () {
      if (!existsSync(path)) this.skip();
      const bytes = new Uint8Array(readFileSync(path));
      expect(() => loadOnnx(bytes)).to.not.throw();
      const t = fuzzModel(file, bytes, allOps, 150, 404);
      expect(t.loaded + Object.values(t.byError).reduce((a, b) => a + b, 0)).to.equal(150);
    });
  }

  it("E7: random structurally-valid ModelProtos (any field values) load or throw a VerityError (300 cases)", function () {
    const names = fc.constantFrom("x", "y", "w", "a", "b", "", "__proto__", "constructor");
    const int64 = fc.oneof(fc.integer({ min: -3, max: 6 }), fc.constantFrom(0, 2 ** 31, 2 ** 60, -(2 ** 60), 2 ** 53));
    const tensor = fc.record(
      {
        name: names,
        dims: fc.array(int64, { maxLength: 4 }),
        dataType: fc.integer({ min: 0, max: 17 }),
        floatData: fc.array(fc.float(), { maxLength: 8 }),
        int32Data: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }),
        int64Data: fc.array(int64, { maxLength: 8 }),
        doubleData: fc.array(fc.double(), { maxLength: 4 }),
        rawData: fc.uint8Array({ maxLength: 40 }),
        dataLocation: fc.constantFrom(0, 0, 0, 1),
      },
      { requiredKeys: ["dims", "dataType"] },
    );
    const attribute = fc.record(
      {
        name: fc.constantFrom("alpha", "axis", "perm", "pads", "value", "value_float", "value_ints", "__proto__", ""),
        type: fc.integer({ min: 0, max: 15 }),
        f: fc.float(),
        i: int64,
        s: fc.uint8Array({ maxLength: 8 }),
        t: tensor,
        floats: fc.array(fc.float(), { maxLength: 4 }),
        ints: fc.array(int64, { maxLength: 4 }),
      },
      { requiredKeys: ["name", "type"] },
    );
    const node = fc.record(
      {
        name: names,
        opType: fc.constantFrom(...SUPPORTED_OPERATORS, "Constant", "Constant", "NonMaxSuppression", ""),
        domain: fc.constantFrom("", "", "ai.onnx", "com.example"),
        input: fc.array(names, { maxLength: 3 }),
        output: fc.array(names, { maxLength: 2 }),
        attribute: fc.array(attribute, { maxLength: 3 }),
      },
      { requiredKeys: ["opType", "input", "output"] },
    );
    const dim = fc.oneof(fc.record({ dimValue: int64 }), fc.record({ dimParam: fc.constantFrom("N", "") }));
    const valueInfo = fc.record(
      {
        name: names,
        type: fc.record(
          {
            tensorType: fc.record(
              {
                elemType: fc.integer({ min: 0, max: 12 }),
                shape: fc.record({ dim: fc.array(dim, { maxLength: 4 }) }),
              },
              { requiredKeys: ["elemType"] },
            ),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["name"] },
    );
    const model = fc.record({
      irVersion: fc.constantFrom(3, 7, 8),
      opsetImport: fc.array(
        fc.record({ domain: fc.constantFrom("", "ai.onnx", "x"), version: fc.constantFrom(8, 9, 13, 17) }),
        {
          maxLength: 2,
        },
      ),
      graph: fc.record({
        name: names,
        node: fc.array(node, { maxLength: 6 }),
        initializer: fc.array(tensor, { maxLength: 3 }),
        input: fc.array(valueInfo, { maxLength: 2 }),
        output: fc.array(valueInfo, { maxLength: 2 }),
      }),
    });
    const outcomes: Record<string, number> = {};
    fc.assert(
      fc.property(model, (m) => {
        const bytes = onnx.ModelProto.encode(m).finish();
        try {
          const g = loadOnnx(bytes);
          const again = encodeOnnx(g);
          expect(Buffer.from(encodeOnnx(loadOnnx(again))).equals(Buffer.from(again))).to.equal(true);
          outcomes.loaded = (outcomes.loaded ?? 0) + 1;
        } catch (e) {
          if (!(e instanceof VerityError)) throw e;
          outcomes[e.constructor.name] = (outcomes[e.constructor.name] ?? 0) + 1;
        }
      }),
      { seed: 606, numRuns: 300 },
    );
    if (process.env.VERITY_FUZZ_VERBOSE) console.log(`      structured: ${JSON.stringify(outcomes)}`);
    expect(Object.keys(outcomes).length, JSON.stringify(outcomes)).to.be.greaterThan(1);
  });

  it("E7: mutated TensorProto input files decode or throw InvalidInputError (200 cases)", function () {
    const rand = prng(505);
    const good = encodeTensorProto(tensorF32([1, 1, 8, 8], randomData(rand, 64)), "input");
    let ok = 0;
    let rejected = 0;
    for (let c = 0; c < 200; c++) {
      const mutant = MUTATORS[MUTATOR_NAMES[c % MUTATOR_NAMES.length]](good, rand, mlp);
      try {
        const t = decodeTensorProto(mutant);
        expect(t.data.length).to.equal(t.dims.reduce((a, d) => a * d, 1));
        ok++;
      } catch (e) {
        expect(e, `case ${c}: ${(e as Error)?.stack}`).to.be.instanceOf(InvalidInputError);
        rejected++;
      }
    }
    expect(ok).to.be.greaterThan(0);
    expect(rejected).to.be.greaterThan(0);
  });
});

/** An opset-6 export: legacy Gemm broadcast, BatchNormalization spatial/is_test, Clip and Add attributes, Softmax. */
function legacyModel(): Uint8Array {
  const r = prng(11);
  const b = new GraphBuilder("legacy", 6);
  const x = b.input("x", [-1, 2, 6, 6]);
  const c = b.node("Conv", [x, b.initializer("w", tensorF32([3, 2, 3, 3], randomData(r, 54)))], { pads: [1, 1, 1, 1] });
  const p = (n: string) => b.initializer(n, tensorF32([3], [1, 0.5, 0.25]));
  const bn = b.node("BatchNormalization", [c, p("s"), p("b"), p("m"), p("v")], { spatial: 1, is_test: 1 });
  const a = b.node("Add", [bn, b.initializer("k", tensorF32([3], [0.1, 0.2, 0.3]))], { broadcast: 1, axis: 1 });
  const clip = b.node("Clip", [a], { min: -1, max: 1 });
  const pool = b.node("MaxPool", [clip], { kernel_shape: [2, 2], strides: [2, 2] });
  const f = b.node("Flatten", [b.node("Dropout", [pool], { is_test: 1, ratio: 0.5 })]);
  const g = b.node(
    "Gemm",
    [f, b.initializer("w2", tensorF32([4, 27], randomData(r, 108))), b.initializer("c2", tensorF32([4], [0, 0, 0, 0]))],
    {
      transB: 1,
      broadcast: 1,
    },
  );
  b.output(b.node("Softmax", [g]), [-1, 4]);
  return encodeOnnx(b.build());
}

/** Opset 11: a shape sub-graph (x.view(x.size(0), -1)), a constant expression, Pad/Slice/ReduceMean attributes. */
function shapeModel(): Uint8Array {
  const r = prng(12);
  const b = new GraphBuilder("shapes", 11);
  const x = b.input("x", [-1, 2, 3, 3]);
  const n = b.node("Gather", [b.node("Shape", [x]), b.initializer("i0", tensorI64([], [0]))], { axis: 0 });
  const shape = b.node(
    "Concat",
    [b.node("Unsqueeze", [n], { axes: [0] }), b.node("Constant", [], { value: tensorI64([1], [-1]) })],
    {
      axis: 0,
    },
  );
  const flat = b.node("Reshape", [b.node("Relu", [x]), shape]);
  const bias = b.node(
    "Cast",
    [
      b.node("Range", [
        b.initializer("s", tensorI64([], [0])),
        b.initializer("l", tensorI64([], [5])),
        b.initializer("d", tensorI64([], [1])),
      ]),
    ],
    {
      to: 1,
    },
  );
  const h = b.node("Add", [
    b.node("Gemm", [flat, b.initializer("w", tensorF32([5, 18], randomData(r, 90)))], { transB: 1 }),
    bias,
  ]);
  const padded = b.node("Pad", [h], { pads: [0, 1, 0, 1], mode: "constant", value: 0 });
  const sliced = b.node("Slice", [padded], { starts: [1], ends: [6], axes: [1] });
  b.output(b.node("ReduceMean", [sliced], { axes: [1], keepdims: 1 }), [-1, 1]);
  return encodeOnnx(b.buildStructural());
}

/** Opset 13: an MLP with decomposed LayerNorm and GELU (erf form), as PyTorch exports them. */
function patternModel(): Uint8Array {
  const r = prng(13);
  const b = new GraphBuilder("patterns", 13);
  const x = b.input("x", [1, 8]);
  const h = b.node("Gemm", [x, b.initializer("w", tensorF32([6, 8], randomData(r, 48)))], { transB: 1 });
  const k = (v: number) => b.node("Constant", [], { value: tensorF32([], [v]) });
  const m = b.node("ReduceMean", [h], { axes: [-1] });
  const d = b.node("Sub", [h, m]);
  const v = b.node("ReduceMean", [b.node("Pow", [d, k(2)])], { axes: [-1] });
  const ln = b.node("Div", [d, b.node("Sqrt", [b.node("Add", [v, k(1e-5)])])]);
  const u = b.node("Add", [b.node("Erf", [b.node("Div", [ln, k(1.4142135)])]), k(1)]);
  const g = b.node("Mul", [b.node("Mul", [ln, u]), k(0.5)]);
  const sp = b.nodeOutputs("Split", [g], { axis: 1, split: [3, 3] }, { outputs: 2 });
  b.output(b.node("Concat", [sp[1], sp[0]], { axis: 1 }), [1, 6]);
  return encodeOnnx(b.buildStructural());
}

describe("ONNX importer fuzz (old opsets, shape sub-graphs, new operators)", function () {
  this.timeout(120_000);
  const seeds: [string, Uint8Array][] = [
    ["legacy opset 6", legacyModel()],
    ["shape sub-graph opset 11", shapeModel()],
    ["LayerNorm/GELU opset 13", patternModel()],
  ];

  /** The inspect path (decodeOnnx, then the import pass collecting every problem) throws only VerityErrors. */
  function inspectPath(bytes: Uint8Array, label: string): void {
    try {
      prepareGraph(decodeOnnx(bytes), false);
    } catch (e) {
      if (!(e instanceof VerityError))
        expect.fail(`${label}: the inspect path threw ${(e as Error)?.stack ?? String(e)}`);
    }
  }

  for (const [i, [label, bytes]] of seeds.entries()) {
    it(`E7: mutated ${label} models load (or inspect) or throw a VerityError, quickly (200 cases)`, function () {
      const donor = seeds[(i + 1) % seeds.length][1];
      const t = fuzzModel(label, bytes, donor, 200, 505 + i);
      expect(t.loaded + Object.values(t.byError).reduce((a, b) => a + b, 0)).to.equal(200);
      const rand = prng(606 + i);
      for (let c = 0; c < 200; c++)
        inspectPath(MUTATORS[MUTATOR_NAMES[c % MUTATOR_NAMES.length]](bytes, rand, donor), `${label} ${c}`);
    });
  }

  it("E7: the seed models at every opset from 1 to 30 load or throw a VerityError (UnsupportedOpsetError outside 6..22)", function () {
    let cases = 0;
    for (const [label, bytes] of seeds) {
      const graph = decodeOnnx(bytes);
      for (let opset = 1; opset <= 30; opset++) {
        cases++;
        const again = encodeOnnx({ ...graph, opsetVersion: opset });
        try {
          loadOnnx(again);
          expect(opset, `${label} at opset ${opset}`).to.be.within(6, 22);
        } catch (e) {
          if (!(e instanceof VerityError))
            expect.fail(`${label} at opset ${opset}: ${(e as Error)?.stack ?? String(e)}`);
          if (opset < 6 || opset > 22) expect(e.constructor.name).to.equal("UnsupportedOpsetError");
        }
        inspectPath(again, `${label} at opset ${opset}`);
      }
    }
    expect(cases).to.equal(90);
  });
});
