import { expect } from "chai";
import { AbiCoder, concat, getBytes, hexlify, keccak256 } from "ethers";
import { AbiEncodeError, abiEncode, type AbiValue } from "../../executor/trace/abi";
import { EMPTY_LEAF, MerkleProofError, chunkLeaves, merkleRoot, verifyProof } from "../../executor/trace/merkle";
import { bytesOf, commitTrace, stateRoot } from "../../executor/trace/trace";
import {
  DESCRIPTOR_ABI_TYPES,
  WeightProofError,
  WeightsCommitment,
  layerDescriptor,
  programDigest,
  weightChunkProof,
  weightRows,
  weightsRoot,
} from "../../executor/trace/weights";
import { encodeProgram, validateProgram, type Program } from "../../executor/runtime/program";
import { infer } from "../../executor/infer";
import { quantizeInput } from "../../executor/quant";

function int8s(n: number, seed: number): Int8Array {
  const out = new Int8Array(n);
  let x = Math.imul(seed, 0x9e3779b1) | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

function int32s(values: number[]): Int32Array {
  return Int32Array.from(values);
}

/** A hand-written two-layer program: Gemm 40 -> 3 (rows of 40 int8 = 2 chunks each), then Relu. */
function tinyProgram(): Program {
  return {
    name: "tiny",
    version: 1,
    inputShape: [1, 40],
    outputShape: [1, 3],
    input: { scale: 0.1, zeroPoint: 0 },
    output: { scale: 0.2, zeroPoint: -3 },
    layers: [
      {
        op: "Gemm",
        inputs: [0],
        output: 1,
        outShape: [1, 3],
        attrs: { k: 40, n: 3, zIn: 0, zOut: -3, clampMin: -128, clampMax: 127 },
        weights: int8s(120, 5),
        bias: int32s([100, -200, 300]),
        multiplier: int32s([20000, 21000, 22000]),
        shift: int32s([20, 21, 22]),
      },
      { op: "Relu", inputs: [1], output: 2, outShape: [1, 3], attrs: { zIn: -3 } },
    ],
  };
}

describe("executor/trace/trace", () => {
  const states = [int8s(784, 1), int8s(128, 2), int8s(128, 3), int8s(10, 4)];

  describe("commitTrace", () => {
    it("commits each state as the Merkle root of its 32-byte chunks and the trace as the root of the state roots", () => {
      const trace = commitTrace(states);
      const expected = states.map((s) => merkleRoot(chunkLeaves(bytesOf(s))));
      expect(trace.stateRoots).to.deep.equal(expected);
      expect(trace.traceRoot).to.equal(merkleRoot(expected));
      expect(trace.stateLengths).to.deep.equal([784, 128, 128, 10]);
    });

    it("is deterministic: equal states give equal roots, whatever the buffers they live in", () => {
      const a = commitTrace(states);
      const copies = states.map((s) => {
        const buf = new Int8Array(s.length + 16);
        buf.set(s, 8);
        return buf.subarray(8, 8 + s.length);
      });
      const b = commitTrace(copies);
      expect(b.stateRoots).to.deep.equal(a.stateRoots);
      expect(b.traceRoot).to.equal(a.traceRoot);
    });

    it("changes exactly the touched state root (and the trace root) when one byte changes", () => {
      const a = commitTrace(states);
      const changed = states.map((s) => Int8Array.from(s));
      changed[2][77] ^= 1;
      const b = commitTrace(changed);
      expect(b.stateRoots[2]).to.not.equal(a.stateRoots[2]);
      expect([0, 1, 3].map((i) => b.stateRoots[i])).to.deep.equal([0, 1, 3].map((i) => a.stateRoots[i]));
      expect(b.traceRoot).to.not.equal(a.traceRoot);
    });

    it("stores int8 values as two's complement bytes (-1 is 0xff)", () => {
      const s = Int8Array.from([-1, -128, 127, 0]);
      const chunk = new Uint8Array(32);
      chunk.set([0xff, 0x80, 0x7f, 0x00]);
      expect(stateRoot(s)).to.equal(keccak256(chunk));
    });

    it("gives a repeated state (a Reshape step) the same root as its twin, and proves its chunks", () => {
      const s = int8s(100, 9);
      const trace = commitTrace([s, Int8Array.from(s), int8s(100, 10)]);
      expect(trace.stateRoots[1]).to.equal(trace.stateRoots[0]);
      expect(trace.stateRoots[2]).to.not.equal(trace.stateRoots[1]);
      const p = trace.chunkProof(1, 3);
      expect(verifyProof(p.stateRoot, keccak256(p.chunk), 3, p.proof)).to.equal(true);
      expect(verifyProof(p.traceRoot, p.stateRoot, 1, p.stateRootProof)).to.equal(true);
    });

    it("rejects an empty trace", () => {
      expect(() => commitTrace([])).to.throw(MerkleProofError);
    });

    it("commits exactly the chunk-tree roots of states sharing 4096-byte blocks (a prefix, shifted, repeated, unaligned, one byte off)", () => {
      const [a, b, c] = [int8s(4096, 21), int8s(4096, 22), int8s(4096, 23)];
      const join = (parts: Int8Array[], at = 0): Int8Array => {
        const n = parts.reduce((k, t) => k + t.length, 0);
        const out = new Int8Array(n + at).subarray(at);
        let off = 0;
        for (const t of parts) {
          out.set(t, off);
          off += t.length;
        }
        return out;
      };
      const aOneByte = Int8Array.from(a);
      aOneByte[2049] ^= 4;
      const shared = [
        join([a, b]),
        join([a, b, c]), // a shared prefix
        join([b, c]), // shifted by a block
        join([c, a, a, int8s(100, 24)], 1), // a repeated block, a tail, an odd byte offset
        join([aOneByte, b, int8s(32, 25)]), // one byte away from a known block
        join([b, c, a, int8s(4000, 26)], 3),
      ];
      const trace = commitTrace(shared);
      expect(trace.stateRoots).to.deep.equal(shared.map((s) => merkleRoot(chunkLeaves(bytesOf(s)))));
      expect(shared.map((s) => stateRoot(s))).to.deep.equal(trace.stateRoots);
      for (const [step, chunk] of [
        [3, 300],
        [5, 400],
      ]) {
        const p = trace.chunkProof(step, chunk);
        expect(verifyProof(p.stateRoot, keccak256(p.chunk), chunk, p.proof)).to.equal(true);
      }
    });

    it("refuses to prove a state mutated after it was committed", () => {
      const s = [int8s(5000, 31), int8s(5000, 32)];
      const trace = commitTrace(s);
      s[1][4999] ^= 1;
      expect(() => trace.chunkProof(1, 0)).to.throw(MerkleProofError, /state 1 changed after it was committed/);
    });
  });

  describe("E10: chunkProof", () => {
    it("proves every chunk of every state against its state root, and the state root against the trace root", () => {
      const trace = commitTrace(states);
      states.forEach((s, step) => {
        const chunks = Math.ceil(s.length / 32);
        for (let c = 0; c < chunks; c++) {
          const p = trace.chunkProof(step, c);
          const raw = getBytes(p.chunk);
          expect(raw.length).to.equal(32);
          expect(Array.from(raw.subarray(0, Math.min(32, s.length - c * 32)))).to.deep.equal(
            Array.from(bytesOf(s).subarray(c * 32, c * 32 + 32)),
          );
          expect(verifyProof(p.stateRoot, keccak256(raw), c, p.proof), `state ${step} chunk ${c}`).to.equal(true);
          expect(verifyProof(p.traceRoot, p.stateRoot, step, p.stateRootProof)).to.equal(true);
        }
      });
    });

    it("zero-pads the last chunk of a state whose length is not a multiple of 32", () => {
      const p = commitTrace(states).chunkProof(3, 0);
      expect(p.chunk.slice(2 + 2 * 10)).to.equal("00".repeat(22));
    });

    it("does not verify a chunk proof against another state or with a modified chunk", () => {
      const trace = commitTrace(states);
      const p = trace.chunkProof(1, 2);
      expect(verifyProof(trace.stateRoots[2], keccak256(p.chunk), 2, p.proof)).to.equal(false);
      const forged = getBytes(p.chunk);
      forged[0] ^= 0x80;
      expect(verifyProof(p.stateRoot, keccak256(forged), 2, p.proof)).to.equal(false);
    });

    it("rejects a step or chunk index out of range", () => {
      const trace = commitTrace(states);
      expect(() => trace.chunkProof(4, 0)).to.throw(MerkleProofError, /step 4/);
      expect(() => trace.chunkProof(3, 1)).to.throw(MerkleProofError, /chunk 1/);
    });
  });
});

describe("E10: executor/trace/weights", () => {
  it("programDigest is keccak256 of the canonical program bytes", () => {
    const p = tinyProgram();
    expect(programDigest(p)).to.equal(keccak256(encodeProgram(p)));
  });

  it("lays each output-channel row out as its own chunk tree, so a row starts on a chunk boundary", () => {
    const p = tinyProgram();
    const w = p.layers[0].weights as Int8Array;
    expect(weightRows(p.layers[0])).to.equal(3);
    const rowRoots = [0, 1, 2].map((o) => {
      const row = new Uint8Array(64);
      row.set(new Uint8Array(w.buffer, w.byteOffset + 40 * o, 40));
      return merkleRoot([keccak256(row.subarray(0, 32)), keccak256(row.subarray(32))]);
    });
    const layer0 = keccak256(concat([keccak256(layerDescriptor(p, 0)), merkleRoot(rowRoots)]));
    const layer1 = keccak256(concat([keccak256(layerDescriptor(p, 1)), EMPTY_LEAF]));
    expect(weightsRoot(p)).to.equal(merkleRoot([layer0, layer1]));
  });

  it("proves every weight row of a layer against the weights root", () => {
    const p = tinyProgram();
    const commitment = new WeightsCommitment(p);
    for (let o = 0; o < 3; o++) {
      const proof = commitment.rowProof(0, o);
      const row = getBytes(proof.rowBytes);
      expect(hexlify(row)).to.equal(hexlify(new Uint8Array((p.layers[0].weights as Int8Array).buffer, 40 * o, 40)));
      const rowRoot = merkleRoot(chunkLeaves(row));
      expect(rowRoot).to.equal(proof.rowRoot);
      expect(verifyProof(proof.rowsRoot, rowRoot, o, proof.rowProof)).to.equal(true);
      const layerRoot = keccak256(concat([keccak256(proof.descriptor), proof.rowsRoot]));
      expect(layerRoot).to.equal(proof.layerRoot);
      expect(verifyProof(proof.weightsRoot, layerRoot, 0, proof.layerProof)).to.equal(true);
      expect(proof).to.deep.equal(weightChunkProof(p, 0, o));
    }
  });

  it("does not accept row o's weights as row o + 1", () => {
    const proof = weightChunkProof(tinyProgram(), 0, 1);
    expect(verifyProof(proof.rowsRoot, proof.rowRoot, 2, proof.rowProof)).to.equal(false);
  });

  it("changes the weights root when a weight, a bias, a multiplier, a shift or an attribute changes", () => {
    const base = weightsRoot(tinyProgram());
    const edits: ((p: Program) => void)[] = [
      (p) => ((p.layers[0].weights as Int8Array)[119] ^= 1),
      (p) => ((p.layers[0].bias as Int32Array)[1] += 1),
      (p) => ((p.layers[0].multiplier as Int32Array)[2] += 1),
      (p) => ((p.layers[0].shift as Int32Array)[0] += 1),
      (p) => (p.layers[1].attrs.zIn = -2),
    ];
    for (const edit of edits) {
      const p = tinyProgram();
      edit(p);
      expect(weightsRoot(p)).to.not.equal(base);
    }
  });

  it("encodes the layer descriptor as an ABI tuple a Solidity verifier can abi.decode", () => {
    const p = tinyProgram();
    const decoded = AbiCoder.defaultAbiCoder().decode(DESCRIPTOR_ABI_TYPES, layerDescriptor(p, 0));
    expect(decoded[0]).to.equal("Gemm");
    expect(decoded[4]).to.deep.equal(["clampMax", "clampMin", "k", "n", "zIn", "zOut"]);
    expect(decoded[6].map((v: bigint[]) => v.map(Number))).to.deep.equal([[127], [-128], [40], [3], [0], [-3]]);
    expect(Number(decoded[7])).to.equal(3);
    expect(Number(decoded[8])).to.equal(40);
    expect(decoded[9]).to.equal("0x00000064ffffff380000012c"); // bias 100, -200, 300 as int32 big-endian
  });

  it("abiEncode gives ethers' AbiCoder bytes on every layer descriptor of the test program", () => {
    const p = tinyProgram();
    for (let l = 0; l < p.layers.length; l++) {
      const fields = AbiCoder.defaultAbiCoder().decode(DESCRIPTOR_ABI_TYPES, layerDescriptor(p, l)).toArray();
      expect(hexlify(layerDescriptor(p, l)), `layer ${l}`).to.equal(
        AbiCoder.defaultAbiCoder().encode(DESCRIPTOR_ABI_TYPES, fields),
      );
    }
  });

  it("abiEncode gives ethers' AbiCoder bytes for each supported type, empty and nested values, extreme integers", () => {
    const cases: [string[], AbiValue[]][] = [
      [[], []],
      [
        ["uint256", "int256", "bool", "bool"],
        [0, -1n, true, false],
      ],
      [
        ["uint256", "int256", "int256"],
        [(1n << 256n) - 1n, -(1n << 255n), (1n << 255n) - 1n],
      ],
      [
        ["string", "string", "bytes", "bytes"],
        ["", "Gemm é ✓", new Uint8Array(0), Uint8Array.from({ length: 65 }, (_, i) => i)],
      ],
      [
        ["uint256[]", "int256[]", "bool[]", "string[]"],
        [[], [5n, -7n], [true, false, true], ["a", "", "x".repeat(33)]],
      ],
      [
        ["int256[][]", "uint256", "string[]"],
        [[[], [1n], [-2n, 3n, -4n]], 9, []],
      ],
      [
        ["bytes", "uint256[]", "bytes"],
        [Uint8Array.of(1, 2, 3), [1, 2, 3, 4], new Uint8Array(32).fill(0xff)],
      ],
    ];
    for (const [types, values] of cases) {
      expect(hexlify(abiEncode(types, values)), types.join(",")).to.equal(
        AbiCoder.defaultAbiCoder().encode(types, values),
      );
    }
  });

  it("abiEncode rejects values outside their type (the descriptor never holds one)", () => {
    expect(() => abiEncode(["uint256"], [-1])).to.throw(AbiEncodeError, /out of range/);
    expect(() => abiEncode(["uint256"], [1n << 256n])).to.throw(AbiEncodeError, /out of range/);
    expect(() => abiEncode(["int256"], [1n << 255n])).to.throw(AbiEncodeError, /out of range/);
    expect(() => abiEncode(["uint256"], [1.5])).to.throw(AbiEncodeError, /not an integer/);
    expect(() => abiEncode(["bool"], [1])).to.throw(AbiEncodeError, /not a boolean/);
    expect(() => abiEncode(["bytes"], ["0x12"])).to.throw(AbiEncodeError, /Uint8Array/);
    expect(() => abiEncode(["uint256[]"], [3])).to.throw(AbiEncodeError, /not an array/);
    expect(() => abiEncode(["address"], ["0x00"])).to.throw(AbiEncodeError, /unsupported/);
    expect(() => abiEncode(["uint256", "uint256"], [1])).to.throw(AbiEncodeError, /1 values for 2 types/);
  });

  it("rejects a proof of a row or layer that does not exist", () => {
    const c = new WeightsCommitment(tinyProgram());
    expect(() => c.rowProof(0, 3)).to.throw(WeightProofError, /row 3/);
    expect(() => c.rowProof(1, 0)).to.throw(WeightProofError, /no weights/);
    expect(() => c.rowProof(2, 0)).to.throw(WeightProofError, /layer 2/);
  });
});

describe("executor/infer", () => {
  it("the hand-written test program is a valid program", () => {
    expect(() => validateProgram(tinyProgram())).to.not.throw();
  });

  it("E1: is a pure function: two runs on equal inputs give equal states, outputs and trace roots", () => {
    const x = Float32Array.from({ length: 40 }, (_, i) => ((i * 7) % 13) / 10);
    const a = infer(tinyProgram(), x);
    const b = infer(tinyProgram(), Float32Array.from(x));
    expect(b.states.map((s) => Array.from(s))).to.deep.equal(a.states.map((s) => Array.from(s)));
    expect(b.trace.traceRoot).to.equal(a.trace.traceRoot);
    expect(Array.from(b.outputFloat)).to.deep.equal(Array.from(a.outputFloat));
  });

  it("quantizes a float input into S0, takes an Int8Array as S0 directly, and commits S0..SL", () => {
    const p = tinyProgram();
    const x = Float32Array.from({ length: 40 }, (_, i) => (i % 5) / 4);
    const q = quantizeInput(p, x);
    const fromFloat = infer(p, x);
    const fromInt8 = infer(p, q);
    expect(Array.from(fromFloat.states[0])).to.deep.equal(Array.from(q));
    expect(fromInt8.trace.traceRoot).to.equal(fromFloat.trace.traceRoot);
    expect(fromFloat.states.length).to.equal(p.layers.length + 1);
    expect(Array.from(fromFloat.output)).to.deep.equal(Array.from(fromFloat.states[2]));
    expect(fromFloat.trace.stateRoots).to.deep.equal(fromFloat.states.map((s) => stateRoot(s)));
  });

  it("changes the input's state root and the trace root when the input changes by one quantum", () => {
    const p = tinyProgram();
    const q = new Int8Array(40).fill(3);
    const a = infer(p, q);
    const q2 = Int8Array.from(q);
    q2[39] = 4;
    const b = infer(p, q2);
    expect(b.trace.stateRoots[0]).to.not.equal(a.trace.stateRoots[0]);
    expect(b.trace.traceRoot).to.not.equal(a.trace.traceRoot);
  });
});
