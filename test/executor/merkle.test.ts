import { expect } from "chai";
import { concat, getBytes, hexlify, keccak256, zeroPadValue } from "ethers";
import { HexError, fromHex, toHex } from "../../executor/trace/hex";
import { hashChunks, hashPairs, keccak256 as keccakBytes, subtreeRoot } from "../../executor/trace/keccak-wasm";
import {
  CHUNK_BYTES,
  EMPTY_LEAF,
  MerkleProofError,
  MerkleTree,
  chunkLeaves,
  merkleProof,
  merkleRoot,
  rootFromProof,
  treeDepth,
  verifyProof,
  zeroHash,
} from "../../executor/trace/merkle";

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function leavesOf(n: number, seed = 7): string[] {
  return Array.from({ length: n }, (_, i) => keccak256(bytes(32, seed * 1000 + i + 1)));
}

/** The textbook definition, written independently of the implementation: pad to 2^k with bytes32(0), hash pairs. */
function referenceRoot(leaves: string[]): string {
  if (leaves.length === 0) return EMPTY_LEAF;
  let layer = [...leaves];
  let size = 1;
  while (size < layer.length) size *= 2;
  while (layer.length < size) layer.push(EMPTY_LEAF);
  while (layer.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(keccak256(concat([layer[i], layer[i + 1]])));
    layer = next;
  }
  return layer[0];
}

function flipBit(hex: string, bit: number): string {
  const b = Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
  b[bit >> 3] ^= 1 << (bit & 7);
  return hexlify(b);
}

describe("E10: executor/trace/merkle", () => {
  describe("keccak", () => {
    it("matches ethers' keccak256 for every input length from 0 to 300 bytes (two block boundaries)", () => {
      for (let n = 0; n <= 300; n++) {
        const data = bytes(n, n + 1);
        expect(hexlify(keccakBytes(data)), `length ${n}`).to.equal(keccak256(data));
      }
    });

    it("matches ethers' keccak256 on multi-block and memory-growing inputs", () => {
      for (const n of [135, 136, 137, 271, 272, 273, 4096, 70_000, 300_001]) {
        const data = bytes(n, n);
        expect(hexlify(keccakBytes(data)), `length ${n}`).to.equal(keccak256(data));
      }
    });
  });

  describe("hex", () => {
    it("toHex and fromHex agree with ethers' hexlify and getBytes", () => {
      for (const n of [0, 1, 31, 32, 33, 257]) {
        const data = bytes(n, 3 * n + 1);
        expect(toHex(data)).to.equal(hexlify(data));
        expect(Array.from(fromHex(hexlify(data)))).to.deep.equal(Array.from(data));
        const upper = "0x" + hexlify(data).slice(2).toUpperCase();
        expect(Array.from(fromHex(upper))).to.deep.equal(Array.from(getBytes(upper)));
      }
      expect(Array.from(fromHex("0XaBcD"))).to.deep.equal(Array.from(getBytes("0XaBcD")));
    });

    it("fromHex rejects what ethers' getBytes rejects: no 0x, odd length, non-hex digits", () => {
      for (const bad of ["", "0x1", "abcd", "0xgg", "0x 1", "x0ab", "0x12z4"]) {
        expect(() => getBytes(bad), bad).to.throw();
        expect(() => fromHex(bad), bad).to.throw(HexError);
      }
    });
  });

  describe("keccak (WebAssembly, batched)", () => {
    it("hashChunks matches ethers on every chunk, zero-padding the last, for lengths 1 to 200", () => {
      for (let n = 1; n <= 200; n += 7) {
        const data = bytes(n, 1000 + n);
        const got = hashChunks(data);
        expect(got.length).to.equal(32 * Math.ceil(n / 32));
        for (let c = 0; c < Math.ceil(n / 32); c++) {
          const chunk = new Uint8Array(32);
          chunk.set(data.subarray(32 * c, 32 * c + 32));
          expect(hexlify(got.subarray(32 * c, 32 * c + 32)), `n = ${n}, chunk ${c}`).to.equal(keccak256(chunk));
        }
      }
    });

    it("hashPairs matches ethers on each pair and completes an odd layer with the filler", () => {
      const layer = bytes(5 * 32, 77);
      const filler = bytes(32, 78);
      const got = hashPairs(layer, filler);
      expect(got.length).to.equal(3 * 32);
      for (let i = 0; i < 3; i++) {
        const right = i < 2 ? layer.subarray(64 * i + 32, 64 * i + 64) : filler;
        expect(hexlify(got.subarray(32 * i, 32 * i + 32))).to.equal(
          keccak256(concat([layer.subarray(64 * i, 64 * i + 32), right])),
        );
      }
    });

    it("subtreeRoot is the node `levels` above the chunk leaves: the zero-padded reference root of 2^levels leaves", () => {
      for (let n = 1; n <= 300; n += 13) {
        const data = bytes(n, 2000 + n);
        const leaves = Array.from({ length: Math.ceil(n / 32) }, (_, c) =>
          hexlify(hashChunks(data).subarray(32 * c, 32 * c + 32)),
        );
        const depth = treeDepth(leaves.length);
        for (let levels = depth; levels <= depth + 2; levels++) {
          const padded = [...leaves, ...new Array<string>(2 ** levels - leaves.length).fill(EMPTY_LEAF)];
          expect(hexlify(subtreeRoot(data, levels, zeroHash)), `n = ${n}, levels ${levels}`).to.equal(
            referenceRoot(padded),
          );
        }
      }
      expect(() => subtreeRoot(bytes(65, 1), 1, zeroHash)).to.throw(RangeError, /3 chunks do not fit under 1 levels/);
      expect(() => subtreeRoot(new Uint8Array(0), 3, zeroHash)).to.throw(RangeError);
    });

    it("grows its memory for inputs larger than one 64 KiB page and stays correct", () => {
      const data = bytes(200_000, 5);
      const got = hashChunks(data);
      for (const c of [0, 3124, 6249]) {
        const chunk = new Uint8Array(32);
        chunk.set(data.subarray(32 * c, 32 * c + 32));
        expect(hexlify(got.subarray(32 * c, 32 * c + 32))).to.equal(keccak256(chunk));
      }
    });
  });

  describe("merkleRoot", () => {
    it("equals the padded-to-a-power-of-two reference for 0 to 40 leaves", () => {
      for (let n = 0; n <= 40; n++) expect(merkleRoot(leavesOf(n)), `n = ${n}`).to.equal(referenceRoot(leavesOf(n)));
    });

    it("pads with bytes32(0): three leaves hash as ((a,b),(c,0))", () => {
      const [a, b, c] = leavesOf(3);
      const expected = keccak256(concat([keccak256(concat([a, b])), keccak256(concat([c, zeroPadValue("0x", 32)]))]));
      expect(merkleRoot([a, b, c])).to.equal(expected);
    });

    it("is the leaf itself for one leaf and bytes32(0) for none", () => {
      const [a] = leavesOf(1);
      expect(merkleRoot([a])).to.equal(a);
      expect(merkleRoot([])).to.equal(EMPTY_LEAF);
    });

    it("is positional: swapping two leaves changes the root", () => {
      const leaves = leavesOf(4);
      const swapped = [leaves[1], leaves[0], leaves[2], leaves[3]];
      expect(merkleRoot(swapped)).to.not.equal(merkleRoot(leaves));
    });

    it("accepts packed leaves and hex leaves alike", () => {
      const leaves = leavesOf(9);
      const packed = Uint8Array.from(Buffer.concat(leaves.map((h) => Buffer.from(h.slice(2), "hex"))));
      expect(merkleRoot(packed)).to.equal(merkleRoot(leaves));
    });

    it("rejects a leaf that is not 32 bytes", () => {
      expect(() => merkleRoot(["0x1234"])).to.throw(MerkleProofError, /32 bytes/);
    });
  });

  describe("chunkLeaves", () => {
    it("hashes 32-byte chunks and zero-pads the last one", () => {
      const data = bytes(70, 3);
      const leaves = chunkLeaves(data);
      expect(leaves.length).to.equal(3 * 32);
      const last = new Uint8Array(CHUNK_BYTES);
      last.set(data.subarray(64));
      expect(hexlify(leaves.subarray(0, 32))).to.equal(keccak256(data.subarray(0, 32)));
      expect(hexlify(leaves.subarray(64, 96))).to.equal(keccak256(last));
    });

    it("distinguishes a zero chunk from padding (keccak256 of 32 zero bytes is not bytes32(0))", () => {
      const oneZeroChunk = MerkleTree.fromData(new Uint8Array(32)).root;
      expect(oneZeroChunk).to.equal(keccak256(new Uint8Array(32)));
      expect(MerkleTree.fromData(new Uint8Array(64)).root).to.not.equal(oneZeroChunk);
    });
  });

  describe("proofs", () => {
    const sizes = [1, 2, 3, 5, 6, 7, 9, 13, 31, 33];

    it("verify for every index of odd- and even-sized trees, with exactly ceil(log2 n) siblings", () => {
      for (const n of sizes) {
        const leaves = leavesOf(n, n);
        const tree = MerkleTree.fromLeaves(leaves);
        const root = merkleRoot(leaves);
        expect(tree.root).to.equal(root);
        for (let i = 0; i < n; i++) {
          const proof = tree.proof(i);
          expect(proof.length).to.equal(treeDepth(n));
          expect(verifyProof(root, leaves[i], i, proof), `n = ${n}, i = ${i}`).to.equal(true);
          expect(proof).to.deep.equal(merkleProof(leaves, i));
        }
      }
    });

    it("fail for a tampered leaf, sibling, index, or a truncated or extended proof", () => {
      for (const n of sizes.filter((s) => s > 1)) {
        const leaves = leavesOf(n, n + 100);
        const tree = MerkleTree.fromLeaves(leaves);
        const root = tree.root;
        for (let i = 0; i < n; i++) {
          const proof = tree.proof(i);
          expect(verifyProof(root, flipBit(leaves[i], (i * 37) % 256), i, proof)).to.equal(false);
          for (let k = 0; k < proof.length; k++) {
            const bad = [...proof];
            bad[k] = flipBit(bad[k], (k * 11 + i) % 256);
            expect(verifyProof(root, leaves[i], i, bad), `n=${n} i=${i} sibling ${k}`).to.equal(false);
          }
          expect(verifyProof(root, leaves[i], (i + 1) % n, proof)).to.equal(false);
          expect(verifyProof(root, leaves[i], i, proof.slice(0, -1))).to.equal(false);
          expect(verifyProof(root, leaves[i], i, [...proof, EMPTY_LEAF])).to.equal(false);
          expect(verifyProof(root, leaves[i], i + 2 ** proof.length, proof)).to.equal(false);
        }
      }
    });

    it("cannot pass an inner node off as a leaf with a shortened proof at a fixed depth", () => {
      const leaves = leavesOf(8);
      const tree = MerkleTree.fromLeaves(leaves);
      const inner = keccak256(concat([leaves[0], leaves[1]]));
      const shortProof = tree.proof(0).slice(1);
      // The inner node does verify at depth 2: this is why verifiers must require proof.length == depth.
      expect(rootFromProof(inner, 0, shortProof)).to.equal(tree.root);
      expect(shortProof.length).to.not.equal(tree.depth);
    });

    it("reports an out-of-range index as a MerkleProofError", () => {
      const tree = MerkleTree.fromLeaves(leavesOf(5));
      expect(() => tree.proof(5)).to.throw(MerkleProofError, /out of range/);
      expect(() => tree.proof(-1)).to.throw(MerkleProofError);
    });

    it("returns false, not an exception, for malformed hex in a proof", () => {
      const leaves = leavesOf(4);
      const tree = MerkleTree.fromLeaves(leaves);
      expect(verifyProof(tree.root, leaves[0], 0, ["0xzz", ...tree.proof(0).slice(1)])).to.equal(false);
    });
  });
});
