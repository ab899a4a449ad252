import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { merkleRoot, verifyProof } from "../../executor/trace/merkle";
import { keccak256 } from "ethers";
import {
  GOLDEN_DIR,
  commitmentsGolden,
  modelGolden,
  type CommitmentsGolden,
  type ModelGolden,
} from "../../tools/golden";

function frozen<T>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, file), "utf8")) as T;
}

describe("golden vectors (test/golden, regenerate with tools/golden.ts)", function () {
  this.timeout(120_000);

  it("E2: the Merkle and trace rules reproduce test/golden/commitments.json", () => {
    const want = frozen<CommitmentsGolden>("commitments.json");
    expect(commitmentsGolden()).to.deep.equal(want);
    for (const p of want.chunkProofs)
      expect(verifyProof(want.chunkRoot, keccak256(p.chunk), p.index, p.proof)).to.equal(true);
    expect(merkleRoot(want.stateRoots)).to.equal(want.traceRoot);
  });

  for (const name of ["mlp", "cnn"] as const) {
    it(`E2: models/${name}.onnx on the fixed input reproduces every commitment in test/golden/${name}.json`, () => {
      const want = frozen<ModelGolden>(`${name}.json`);
      const got = modelGolden(name);
      // Field by field first, so a failure names what drifted (the import, the quantizer, a kernel, a commitment).
      for (const key of ["artifactCid", "programCid", "programDigest", "weightsRoot", "layerRoots", "steps"] as const) {
        expect(got[key], key).to.deep.equal(want[key]);
      }
      got.stateRoots.forEach((r, i) => expect(r, `stateRoots[${i}]`).to.equal(want.stateRoots[i]));
      expect(got).to.deep.equal(want);
      expect(merkleRoot(want.stateRoots)).to.equal(want.traceRoot);
      expect(want.stateRoots.length).to.equal(want.steps + 1);
    });
  }
});
