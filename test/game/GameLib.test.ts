import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, concat, id, keccak256, toBeHex, zeroPadValue } from "ethers";

import { MerkleTree } from "../../executor/trace/merkle";
import type { GameLib } from "../../typechain-types";

// The codes of contracts/game/GameLib.sol (OK = 0; each check's failures from 1, in the order they are checked).
const OK = 0n;
const TRACE_BAD_COUNT = 1n;
const TRACE_BAD_ROOT = 2n;
const ANCHOR_BAD_INPUT = 1n;
const ANCHOR_BAD_OUTPUT = 2n;
const LAYER_BAD_PROOF = 1n;
const LAYER_BAD_DESCRIPTOR = 2n;
const LAYER_TOO_LARGE = 3n;
const MAX_STATE_BYTES = 1n << 24n;

/** A descriptor head of 15 words whose word 14 (outLength) is `outLength`: all `checkLayer` reads. */
function descriptor(outLength: bigint, words = 15): string {
  const w = Array.from({ length: words }, (_, i) => zeroPadValue(toBeHex(i === 14 ? outLength : 0n), 32));
  return concat(w);
}

/** The weights tree over `count` layers, layer `k` having `descriptors[k]` and a zero rows root. */
function weights(descriptors: string[]) {
  const rowsRoot = ethers.ZeroHash;
  const leaves = descriptors.map((d) => keccak256(concat([keccak256(d), rowsRoot])));
  const tree = MerkleTree.fromLeaves(leaves);
  const witness = (k: number) => ({ descriptor: descriptors[k], rowsRoot, layerProof: tree.proof(k) });
  return { root: tree.root, witness };
}

const coder = AbiCoder.defaultAbiCoder();
const WITNESS = "tuple(bytes descriptor, bytes32 rowsRoot, bytes32[] layerProof)";

/** A library's selector names a struct parameter by its Solidity type, not by its ABI tuple, so ethers cannot call
 * `checkLayer` from the ABI: this builds the call data as the managers' DELEGATECALL does. */
function callData(signature: string, types: string[], args: unknown[]): string {
  return concat([id(signature).slice(0, 10), coder.encode(types, args)]);
}

describe("GameLib: the checks both games share, called directly (codes, not reverts)", function () {
  let lib: GameLib;
  before(async function () {
    lib = (await ethers.deployContract("GameLib")) as unknown as GameLib;
  });

  async function checkLayer(root: string, layerCount: number, step: number, witness: object): Promise<bigint[]> {
    const data = callData(
      "checkLayer(bytes32,uint256,uint256,IStepVerifier.LayerWitness)",
      ["bytes32", "uint256", "uint256", WITNESS],
      [root, layerCount, step, witness],
    );
    const result = await ethers.provider.call({ to: await lib.getAddress(), data });
    return coder.decode(["uint8", "uint256"], result).toArray() as bigint[];
  }

  it("stateRoot is the chunk root of the TypeScript tree", async function () {
    for (const n of [0, 1, 31, 32, 33, 784]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
      const expected = n === 0 ? ethers.ZeroHash : MerkleTree.fromData(data).root;
      expect(await lib.stateRoot(data), `${n} bytes`).to.equal(expected);
    }
  });

  it("checkTrace: OK for the L + 1 roots of the trace root, BAD_COUNT for another count, BAD_ROOT for a changed root", async function () {
    const roots = [1, 2, 3, 4].map((i) => keccak256(toBeHex(i)));
    const traceRoot = MerkleTree.fromLeaves(roots).root;
    expect(await lib.checkTrace(roots, 3, traceRoot)).to.equal(OK);
    expect(await lib.checkTrace(roots, 4, traceRoot)).to.equal(TRACE_BAD_COUNT);
    expect(await lib.checkTrace(roots.slice(0, 3), 3, traceRoot)).to.equal(TRACE_BAD_COUNT);
    expect(await lib.checkTrace([roots[0], roots[2], roots[1], roots[3]], 3, traceRoot)).to.equal(TRACE_BAD_ROOT);
  });

  it("checkAnchors: OK when leaf 0 is the input's root and leaf L the output's, else the first anchor that fails", async function () {
    const input = Uint8Array.from([1, 2, 3]);
    const output = Uint8Array.from([9, 8]);
    const inputRoot = MerkleTree.fromData(input).root;
    const roots = [inputRoot, keccak256("0x01"), MerkleTree.fromData(output).root];
    const tree = MerkleTree.fromLeaves(roots);
    const [p0, p2] = [tree.proof(0), tree.proof(2)];
    expect(await lib.checkAnchors(tree.root, 2, inputRoot, output, p0, p2)).to.equal(OK);
    expect(await lib.checkAnchors(tree.root, 2, keccak256("0x02"), output, p0, p2)).to.equal(ANCHOR_BAD_INPUT);
    expect(await lib.checkAnchors(tree.root, 2, inputRoot, Uint8Array.from([9, 9]), p0, p2)).to.equal(
      ANCHOR_BAD_OUTPUT,
    );
    // A malformed proof is MerkleLib's revert, passed through.
    await expect(lib.checkAnchors(tree.root, 2, inputRoot, output, [], p2)).to.be.revertedWithCustomError(
      lib,
      "MerkleLibBadProofLength",
    );
  });

  it("checkLayer: outLength through Descriptor.outLength, refused above MAX_STATE_BYTES (2^24), in the order proof, descriptor, size", async function () {
    const descriptors = [descriptor(784n), descriptor(MAX_STATE_BYTES), descriptor(MAX_STATE_BYTES + 1n), "0x1234"];
    const w = weights(descriptors);
    const [ok, length] = await checkLayer(w.root, 4, 0, w.witness(0));
    expect([ok, length]).to.deep.equal([OK, 784n]);
    expect(await checkLayer(w.root, 4, 1, w.witness(1))).to.deep.equal([OK, MAX_STATE_BYTES]);
    expect(await checkLayer(w.root, 4, 2, w.witness(2))).to.deep.equal([LAYER_TOO_LARGE, MAX_STATE_BYTES + 1n]);
    expect(await checkLayer(w.root, 4, 3, w.witness(3))).to.deep.equal([LAYER_BAD_DESCRIPTOR, 0n]);
    // The witness of layer 0 presented as layer 1: not leaf 1 of the weights root.
    expect(await checkLayer(w.root, 4, 1, { ...w.witness(0), layerProof: w.witness(1).layerProof })).to.deep.equal([
      LAYER_BAD_PROOF,
      0n,
    ]);
    // A step outside the tree is MerkleLib's revert, passed through.
    await expect(checkLayer(w.root, 4, 4, w.witness(0)))
      .to.be.revertedWithCustomError(lib, "MerkleLibIndexOutOfRange")
      .withArgs(4, 4);
  });
});
