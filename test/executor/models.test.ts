import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ort from "onnxruntime-node";
import { SUPPORTED_OPERATORS } from "../../executor/model/graph";
import { encodeOnnx, loadOnnx } from "../../executor/model/onnx";
import { DIGIT_PIXELS, DigitSet, fromDigitsJson, loadMnistPackage, splitDigits } from "../../tools/train/data";
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME } from "../../tools/train/export";
import { DEMO_RECIPES, DEMO_SPLIT } from "../../tools/train/recipes";

const MODELS = path.join(__dirname, "..", "..", "models");

function readDigits(file: string): DigitSet {
  return fromDigitsJson(JSON.parse(fs.readFileSync(path.join(MODELS, file), "utf8")));
}

/**
 * A digit's float32 pixel bytes. The committed JSON rounds to 4 decimals and the package's pixels have 3, so a
 * committed digit parses back to exactly the same float32 values as the package's.
 */
function digitKey(set: DigitSet, k: number): string {
  const pixels = set.images.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
  return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString("base64");
}

const EXPECTED = {
  mlp: { ops: ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"] },
  cnn: { ops: ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Softmax"] },
} as const;

describe("demo models (models/)", () => {
  const test = readDigits("digits-test.json");

  describe("held-out and calibration digits", () => {
    it("digits-test.json holds 500 digits, 50 per class, pixels in [0, 1]", () => {
      expect(test.count).to.equal(500);
      for (let d = 0; d < 10; d++) expect(Array.from(test.labels).filter((l) => l === d)).to.have.length(50);
      let min = Infinity;
      let max = -Infinity;
      for (const v of test.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect([min, max]).to.deep.equal([0, 1]);
    });

    it("are exactly the split that DEMO_SPLIT regenerates from the mnist package, and the test digits are not in training", () => {
      const split = splitDigits(loadMnistPackage(), DEMO_SPLIT);
      const calibration = readDigits("digits-calibration.json");
      expect(calibration.count).to.equal(64);
      const keys = (s: DigitSet): string[] => Array.from({ length: s.count }, (_, k) => digitKey(s, k));
      expect(keys(test)).to.deep.equal(keys(split.test));
      expect(Array.from(test.labels)).to.deep.equal(Array.from(split.test.labels));
      expect(keys(calibration)).to.deep.equal(keys(split.calibration));
      const training = new Set(keys(split.train));
      expect(keys(test).filter((k) => training.has(k))).to.deep.equal([]);
      expect(keys(calibration).every((k) => training.has(k))).to.equal(true);
    });
  });

  for (const name of ["mlp", "cnn"] as const) {
    const recipe = DEMO_RECIPES[name];
    const file = path.join(MODELS, `${name}.onnx`);

    describe(`${name}.onnx`, () => {
      let session: ort.InferenceSession;
      before(async () => {
        session = await ort.InferenceSession.create(file);
      });
      after(async () => {
        await session?.release();
      });

      it(`loads in onnxruntime-node with input ${JSON.stringify(recipe.inputDims)} and output [1,10]`, () => {
        expect(session.inputNames).to.deep.equal([EXPORT_INPUT_NAME]);
        expect(session.outputNames).to.deep.equal([EXPORT_OUTPUT_NAME]);
        const [input] = session.inputMetadata;
        const [output] = session.outputMetadata;
        expect(input.isTensor && input.type === "float32" && [...input.shape]).to.deep.equal([...recipe.inputDims]);
        expect(output.isTensor && [...output.shape]).to.deep.equal([1, 10]);
      });

      it("loads with Verity's ONNX loader as an opset-13 graph of supported operators in the documented order", () => {
        const graph = loadOnnx(new Uint8Array(fs.readFileSync(file)));
        expect(graph.opsetVersion).to.equal(13);
        expect(graph.inputs.map((i) => [...i.dims])).to.deep.equal([[...recipe.inputDims]]);
        expect(graph.outputs.map((o) => [...o.dims])).to.deep.equal([[1, 10]]);
        const ops = graph.nodes.map((n) => n.opType);
        expect(ops).to.deep.equal([...EXPECTED[name].ops]);
        for (const op of ops) expect(SUPPORTED_OPERATORS as readonly string[]).to.include(op);
      });

      it("is re-written byte for byte by encodeOnnx (the bytes its CID commits), as tools/train/export.ts wrote it", () => {
        const bytes = new Uint8Array(fs.readFileSync(file));
        const again = encodeOnnx(loadOnnx(bytes), { producerName: "verity-train" });
        expect(Buffer.from(again).equals(Buffer.from(bytes))).to.equal(true);
      });

      it(`E6: reaches float top-1 >= ${100 * recipe.targetAccuracy}% on the 500 held-out digits in onnxruntime-node`, async () => {
        let correct = 0;
        for (let k = 0; k < test.count; k++) {
          const x = test.images.slice(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
          const out = await session.run({ [EXPORT_INPUT_NAME]: new ort.Tensor("float32", x, [...recipe.inputDims]) });
          const probs = out[EXPORT_OUTPUT_NAME].data as Float32Array;
          expect(probs.length).to.equal(10);
          let arg = 0;
          for (let j = 1; j < 10; j++) if (probs[j] > probs[arg]) arg = j;
          if (arg === test.labels[k]) correct++;
        }
        expect(correct / test.count).to.be.at.least(recipe.targetAccuracy);
      });
    });
  }
});
