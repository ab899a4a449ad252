import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, hexlify, keccak256, randomBytes } from "ethers";

import { batchLeafProof, batchLeavesFromCalldata, leafHash, type Leaf } from "../../daemons/challenger/intake";
import { pickedByHash } from "../../daemons/kit/common";
import { merkleRoot, verifyProof } from "../../executor/trace/merkle";
import { InferenceManager__factory } from "../../typechain-types";

const iface = InferenceManager__factory.createInterface();
const hash = () => hexlify(randomBytes(32));
const leavesOf = (n: number): Leaf[] =>
  Array.from({ length: n }, (_, i) => ({ requestId: BigInt(i + 1), outputHash: hash(), traceRoot: hash() }));
const calldata = (leaves: Leaf[]) =>
  iface.encodeFunctionData("commitBatch", [
    leaves.map((l) => l.requestId),
    leaves.map((l) => l.outputHash),
    leaves.map((l) => l.traceRoot),
  ]);

describe("Challenger intake", () => {
  describe("H3: batchLeavesFromCalldata", () => {
    it("reads the leaves of a commitBatch call whose leaves hash to the committed root", () => {
      const leaves = leavesOf(5);
      const root = merkleRoot(leaves.map(leafHash));
      expect(batchLeavesFromCalldata(iface, calldata(leaves), root, 5)).to.deep.equal(leaves);
    });

    it("refuses leaves that do not hash to the root, a wrong count, and calldata of another function", () => {
      const leaves = leavesOf(3);
      const root = merkleRoot(leaves.map(leafHash));
      expect(batchLeavesFromCalldata(iface, calldata(leaves), hash(), 3)).to.equal(null);
      expect(batchLeavesFromCalldata(iface, calldata(leaves), root, 4)).to.equal(null);
      expect(batchLeavesFromCalldata(iface, iface.encodeFunctionData("claim", [1n]), root, 3)).to.equal(null);
      expect(batchLeavesFromCalldata(iface, "0xdeadbeef", root, 3)).to.equal(null);
    });
  });

  it("H3: leafHash is keccak256(abi.encode(requestId, outputHash, traceRoot)), and every rebuilt proof verifies", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, pick) => {
        const leaves = leavesOf(n);
        const index = pick % n;
        const l = leaves[index];
        const expected = keccak256(
          AbiCoder.defaultAbiCoder().encode(
            ["uint256", "bytes32", "bytes32"],
            [l.requestId, l.outputHash, l.traceRoot],
          ),
        );
        expect(leafHash(l)).to.equal(expected);
        const root = merkleRoot(leaves.map(leafHash));
        expect(verifyProof(root, expected, index, batchLeafProof(leaves, index))).to.equal(true);
      }),
      { numRuns: 30 },
    );
  });

  describe("H4: sampling (pickedByHash)", () => {
    it("is a pure function of (seed, requestId, fraction), never picks at 0 and always picks at 1", () => {
      fc.assert(
        fc.property(
          fc.string(),
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (seed, id, f) => {
            expect(pickedByHash(seed, id, f)).to.equal(pickedByHash(seed, id, f));
            expect(pickedByHash(seed, id, 0)).to.equal(false);
            expect(pickedByHash(seed, id, 1)).to.equal(true);
          },
        ),
        { numRuns: 100 },
      );
    });

    it("is monotone in the fraction: an id sampled at f is sampled at every larger fraction", () => {
      fc.assert(
        fc.property(
          fc.string(),
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (seed, id, a, b) => {
            const [lo, hi] = a <= b ? [a, b] : [b, a];
            if (pickedByHash(seed, id, lo)) expect(pickedByHash(seed, id, hi)).to.equal(true);
          },
        ),
        { numRuns: 100 },
      );
    });

    it("picks about the given fraction of ids", () => {
      fc.assert(
        fc.property(fc.string(), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (seed, f) => {
          let picked = 0;
          for (let id = 1n; id <= 1000n; id++) if (pickedByHash(seed, id, f)) picked++;
          expect(picked / 1000).to.be.closeTo(f, 0.08); // > 5 standard deviations
        }),
        { numRuns: 5 },
      );
    });
  });
});
