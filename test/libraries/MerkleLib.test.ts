import { expect } from "chai";
import { ethers } from "hardhat";
import { hexlify, keccak256 } from "ethers";
import { MerkleTree, chunkCount, merkleRoot, rootOfChunks, rootOfRange, treeDepth } from "../../executor/trace/merkle";
import type { MerkleLibHarness } from "../../typechain-types";
import { Rng } from "../disputes/step-fixtures";

function bytes(r: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => r.int(0, 255));
}

function leaves(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => keccak256(bytes(r, 8)));
}

describe("V6: MerkleLib (docs/COMMITMENTS.md §1, §4) agrees with executor/trace/merkle.ts", () => {
  let lib: MerkleLibHarness;
  before(async () => {
    lib = await ethers.deployContract("MerkleLibHarness");
  });

  it("depth(n) = ceil(log2 n) and chunkCount(len) = ceil(len / 32)", async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 8, 9, 1023, 1024, 1025]) {
      expect(Number(await lib.depth(n)), `depth(${n})`).to.equal(treeDepth(n));
      expect(Number(await lib.chunkCount(n)), `chunkCount(${n})`).to.equal(chunkCount(n));
    }
  });

  it("rootOfBytes is the state root of the TypeScript tree for every length shape (empty, partial last chunk, exact)", async () => {
    const r = new Rng(11);
    for (const n of [0, 1, 31, 32, 33, 64, 65, 100, 257, 1000]) {
      const data = bytes(r, n);
      expect(await lib.rootOfBytes(data), `length ${n}`).to.equal(MerkleTree.fromData(data).root);
    }
  });

  it("rootOfLeaves is merkleRoot over hashes (0, 1, odd and power-of-two counts)", async () => {
    const r = new Rng(12);
    for (const n of [0, 1, 2, 3, 5, 8, 9]) {
      const ls = leaves(r, n);
      expect(await lib.rootOfLeaves(ls), `${n} leaves`).to.equal(n === 0 ? "0x" + "00".repeat(32) : merkleRoot(ls));
    }
  });

  it("verify accepts every leaf of a 5-leaf tree with its proof, and rejects a wrong leaf or index", async () => {
    const ls = leaves(new Rng(13), 5);
    const tree = MerkleTree.fromLeaves(ls);
    for (let i = 0; i < 5; i++) {
      const proof = tree.proof(i);
      expect(await lib.verify(tree.root, ls[i], i, 5, proof)).to.equal(true);
      expect(await lib.processProof(ls[i], i, proof)).to.equal(tree.root);
      expect(await lib.verify(tree.root, ls[(i + 1) % 5], i, 5, proof)).to.equal(false);
      if (i < 4) expect(await lib.verify(tree.root, ls[i], i ^ 1, 5, proof)).to.equal(false);
    }
  });

  it("verify reverts on a proof of the wrong length (no inner node passes as a leaf) and on an index out of range", async () => {
    const ls = leaves(new Rng(14), 5);
    const tree = MerkleTree.fromLeaves(ls);
    const proof = tree.proof(2);
    await expect(lib.verify(tree.root, ls[2], 2, 5, proof.slice(1)))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadProofLength")
      .withArgs(2, 3);
    await expect(lib.verify(tree.root, ls[2], 5, 5, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibIndexOutOfRange")
      .withArgs(5, 5);
  });

  it("rootOfRange recomputes the root from any contiguous run and its range proof (200 random runs), as the TypeScript rootOfRange does", async () => {
    const r = new Rng(15);
    for (let t = 0; t < 200; t++) {
      const leafCount = r.int(1, 70);
      const first = r.int(0, leafCount - 1);
      const n = r.int(1, leafCount - first);
      const data = bytes(r, leafCount * 32 - r.int(0, 31));
      const tree = MerkleTree.fromData(data);
      const chunks = new Uint8Array(n * 32);
      chunks.set(data.subarray(first * 32, Math.min(data.length, (first + n) * 32)));
      const proof = tree.rangeProof(first, n);
      const what = `leafCount ${leafCount}, run [${first}, ${first + n})`;
      expect(rootOfRange(chunks, first, leafCount, proof), what).to.equal(tree.root);
      expect(await lib.rootOfRange(chunks, first, leafCount, proof), what).to.equal(tree.root);
      if (n === 1) expect(proof, what).to.deep.equal(tree.proof(first));
    }
  });

  it("rootOfRange reverts on a proof that is too short or too long, a run outside the tree, or chunks that are not whole", async () => {
    const data = bytes(new Rng(16), 200);
    const tree = MerkleTree.fromData(data); // 7 chunks
    const chunks = hexlify(data.subarray(32, 96)); // chunks 1 and 2
    const proof = tree.rangeProof(1, 2);
    expect(await lib.rootOfRange(chunks, 1, 7, proof)).to.equal(tree.root);
    await expect(lib.rootOfRange(chunks, 1, 7, proof.slice(1))).to.be.revertedWithCustomError(
      lib,
      "MerkleLibBadProofLength",
    );
    await expect(lib.rootOfRange(chunks, 1, 7, [...proof, proof[0]]))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadProofLength")
      .withArgs(proof.length + 1, proof.length);
    await expect(lib.rootOfRange(chunks, 6, 7, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibIndexOutOfRange")
      .withArgs(7, 7);
    await expect(lib.rootOfRange("0x", 1, 7, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadRange")
      .withArgs(0);
    await expect(lib.rootOfRange(hexlify(data.subarray(32, 90)), 1, 7, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadRange")
      .withArgs(58);
    expect(() => rootOfRange(data.subarray(32, 96), 1, 7, proof.slice(1))).to.throw(/too short/);
  });

  it("V7: rootOfChunks recomputes the root from any set of chunks and its multiproof (200 random sets), and equals the range proof for a run", async () => {
    const r = new Rng(17);
    for (let t = 0; t < 200; t++) {
      const leafCount = r.int(1, 70);
      const data = bytes(r, leafCount * 32 - r.int(0, 31));
      const tree = MerkleTree.fromData(data);
      const picked = Array.from({ length: leafCount }, (_, i) => i).filter(() => r.int(0, 3) === 0);
      const indices = picked.length > 0 ? picked : [r.int(0, leafCount - 1)];
      const chunks = new Uint8Array(indices.length * 32);
      indices.forEach((c, k) => chunks.set(data.subarray(c * 32, Math.min(data.length, c * 32 + 32)), k * 32));
      const proof = tree.multiProof(indices);
      const what = `leafCount ${leafCount}, chunks [${indices.join(", ")}]`;
      expect(rootOfChunks(chunks, indices, leafCount, proof), what).to.equal(tree.root);
      expect(await lib.rootOfChunks(chunks, indices, leafCount, proof), what).to.equal(tree.root);
      const first = indices[0];
      const run = Array.from({ length: indices[indices.length - 1] - first + 1 }, (_, k) => first + k);
      expect(tree.multiProof(run), what).to.deep.equal(tree.rangeProof(first, run.length));
    }
  });

  it("V7: rootOfChunks reverts on a short or long multiproof, unsorted or out-of-range indices, or a chunk count that does not match", async () => {
    const data = bytes(new Rng(18), 300);
    const tree = MerkleTree.fromData(data); // 10 chunks
    const indices = [1, 4, 9];
    const chunks = new Uint8Array(96);
    indices.forEach((c, k) => chunks.set(data.subarray(c * 32, Math.min(300, c * 32 + 32)), k * 32));
    const proof = tree.multiProof(indices);
    expect(await lib.rootOfChunks(chunks, indices, 10, proof)).to.equal(tree.root);
    await expect(lib.rootOfChunks(chunks, indices, 10, proof.slice(1))).to.be.revertedWithCustomError(
      lib,
      "MerkleLibBadProofLength",
    );
    await expect(lib.rootOfChunks(chunks, indices, 10, [...proof, proof[0]]))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadProofLength")
      .withArgs(proof.length + 1, proof.length);
    await expect(lib.rootOfChunks(chunks, [1, 9, 4], 10, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibIndexOutOfRange")
      .withArgs(4, 10);
    await expect(lib.rootOfChunks(chunks, [1, 4, 10], 10, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibIndexOutOfRange")
      .withArgs(10, 10);
    await expect(lib.rootOfChunks(chunks.subarray(0, 64), indices, 10, proof))
      .to.be.revertedWithCustomError(lib, "MerkleLibBadRange")
      .withArgs(64);
    expect(() => rootOfChunks(chunks, indices, 10, proof.slice(1))).to.throw(/too short/);
    expect(() => tree.multiProof([4, 1])).to.throw(/strictly increasing/);
  });
});
