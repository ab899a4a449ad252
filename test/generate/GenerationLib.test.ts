/**
 * GenerationLib (contracts/libraries/GenerationLib.sol) re-executes the rules of docs/GENERATION.md §3–§5 bit for
 * bit with executor/generate: the pass window, greedy and seeded choice, and the stop rule, on random cases that
 * include ties, the int8 extremes and every temperature shift.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { getBytes, hexlify } from "ethers";

import {
  MAX_TEMPERATURE_SHIFT,
  VOCAB,
  WEIGHT_BITS,
  chooseByte,
  decodeRequest,
  decodeResponse,
  greedyByte,
  passCount,
  passInput,
  ruleOf,
  sampledByte,
  seedOf,
  stopsCorrectly,
} from "../../executor/generate";
import { GenerationLib } from "../../protocol/constants";
import type { GenerationLibHarness } from "../../typechain-types";
import { Rng } from "../disputes/step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";

/** Random cases per rule: 100, or 12 under coverage, where each instrumented call over 256 logits is slow. */
const CASES = Number(process.env.GENERATION_CASES ?? (UNDER_COVERAGE ? 12 : 100));
/** fast-check runs per record rule (GENERATION_CASES overrides). */
const RECORD_RUNS = Math.max(UNDER_COVERAGE ? 6 : 20, Math.floor(CASES / 2));

/**
 * A record of random bytes shaped like a request's or a response's: a header of small numbers (so that valid and
 * invalid records both come up), a body, and a tail of zeros that is sometimes broken by one non-zero byte.
 */
function recordArb(header: fc.Arbitrary<number[]>) {
  return fc
    .record({
      header,
      body: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }),
      zeros: fc.nat({ max: 8 }),
      broken: fc.option(fc.integer({ min: 1, max: 255 }), { freq: 4 }),
    })
    .map(({ header: h, body, zeros, broken }) => {
      const tail = new Array<number>(zeros).fill(0);
      if (broken !== null && zeros > 0) tail[zeros - 1] = broken;
      return Uint8Array.from([...h, ...body, ...tail]);
    });
}

const requestArb = recordArb(
  fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 14 })),
).chain((r) => fc.constantFrom(r, r.slice(0, r.length % 4)));
const responseArb = recordArb(fc.tuple(fc.integer({ min: 0, max: 14 }))).chain((r) =>
  fc.constantFrom(r, r.slice(0, 0)),
);
const specArb = fc.record({
  contextLength: fc.integer({ min: 1, max: 64 }),
  maxTokens: fc.integer({ min: 1, max: 10 }),
  maxPrompt: fc.integer({ min: 0, max: 20 }),
  padByte: fc.integer({ min: 0, max: 255 }),
  hasStop: fc.boolean(),
  stopByte: fc.integer({ min: 0, max: 3 }),
});
const uint256Arb = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });

function randomLogits(r: Rng): Int8Array {
  const l = new Int8Array(256);
  const spread = [1, 8, 60, 255][r.int(0, 3)]; // narrow spreads make ties and near-ties
  const base = r.int(-128, 127 - Math.min(spread, 255));
  for (let i = 0; i < 256; i++) l[i] = Math.max(-128, Math.min(127, base + r.int(0, spread)));
  if (r.int(0, 3) === 0) l[r.int(0, 255)] = 127;
  if (r.int(0, 3) === 0) l[r.int(0, 255)] = -128;
  return l;
}

const bytesOf = (a: Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.length);

describe("GenerationLib agrees with executor/generate (docs/GENERATION.md §3–§5)", function () {
  let lib: GenerationLibHarness;
  before(async () => {
    lib = await ethers.deployContract("GenerationLibHarness");
  });

  it("LM2: the executor's constants are the contract's (vocabulary, largest temperature shift, weight bits)", function () {
    expect(BigInt(VOCAB)).to.equal(GenerationLib.VOCAB);
    expect(BigInt(MAX_TEMPERATURE_SHIFT)).to.equal(GenerationLib.MAX_TEMPERATURE_SHIFT);
    expect(BigInt(WEIGHT_BITS)).to.equal(GenerationLib.WEIGHT_BITS);
  });

  it(`LM2: greedy and seeded choices are bit-exact on ${CASES} random logit vectors`, async function () {
    const r = new Rng(41);
    for (let k = 0; k < CASES; k++) {
      const logits = randomLogits(r);
      const seed = Uint8Array.from({ length: 32 }, () => r.int(0, 255));
      const pass = r.int(0, 1000);
      const shift = k % 8;
      const raw = hexlify(bytesOf(logits));
      expect(Number(await lib.greedyByte(raw)), `greedy, case ${k}`).to.equal(greedyByte(logits));
      expect(Number(await lib.sampledByte(raw, seed, pass, shift)), `sampled, case ${k}`).to.equal(
        sampledByte(logits, seed, pass, shift),
      );
    }
  });

  it("LM2: the pass window is bit-exact (padding, prompt only, prompt and output, output only)", async function () {
    const r = new Rng(42);
    for (let k = 0; k < 40; k++) {
      const prompt = Uint8Array.from({ length: r.int(0, 20) }, () => r.int(0, 255));
      const output = Uint8Array.from({ length: r.int(0, 20) }, () => r.int(0, 255));
      const pass = r.int(0, output.length);
      const context = r.int(1, 24);
      const pad = r.int(0, 255);
      const expected = hexlify(bytesOf(passInput(prompt, output, pass, context, pad)));
      expect(await lib.passInput(prompt, output, pass, context, pad), `case ${k}`).to.equal(expected);
    }
  });

  it("LM2: the stop rule is bit-exact (no stop byte, a stop byte last, early, missing)", async function () {
    const r = new Rng(43);
    for (let k = 0; k < 60; k++) {
      const max = r.int(1, 8);
      const output = Uint8Array.from({ length: r.int(0, 9) }, () => r.int(0, 3));
      const stop = r.int(0, 1) === 0 ? undefined : r.int(0, 3);
      expect(await lib.stopsCorrectly(output, max, stop !== undefined, stop ?? 0), `case ${k}`).to.equal(
        stopsCorrectly(output, max, stop),
      );
    }
  });

  it(`LM2: the request record decodes bit-exact (fast-check, ${RECORD_RUNS} records; valid and invalid)`, async function () {
    await fc.assert(
      fc.asyncProperty(requestArb, fc.integer({ min: 1, max: 10 }), async (record, versionMaxTokens) => {
        const ours = decodeRequest(record, versionMaxTokens);
        const theirs = await lib.decodeRequest(record, versionMaxTokens);
        expect(theirs.valid).to.equal(ours.valid);
        if (ours.valid) {
          expect(Number(theirs.rule)).to.equal(ours.rule);
          expect(Number(theirs.maxTokens)).to.equal(ours.maxTokens);
          expect(theirs.prompt).to.equal(hexlify(ours.prompt));
        }
      }),
      { numRuns: RECORD_RUNS, seed: 141 },
    );
  });

  it(`LM2: the response record decodes bit-exact (fast-check, ${RECORD_RUNS} records; canonical or not)`, async function () {
    await fc.assert(
      fc.asyncProperty(responseArb, async (record) => {
        const ours = decodeResponse(record);
        const [canonical, generated] = await lib.decodeResponse(record);
        expect(canonical).to.equal(ours !== null);
        expect(generated).to.equal(hexlify(ours ?? new Uint8Array(0)));
      }),
      { numRuns: RECORD_RUNS, seed: 142 },
    );
  });

  it(`LM2: passCount agrees (fast-check, ${RECORD_RUNS} request, response and version triples)`, async function () {
    await fc.assert(
      fc.asyncProperty(requestArb, responseArb, specArb, async (input, output, spec) => {
        const terms = { ...spec, stopByte: spec.hasStop ? spec.stopByte : undefined };
        const ours = passCount(input, output, terms);
        const [ok, passes] = await lib.passCount(input, output, spec);
        expect([ok, Number(passes)]).to.deep.equal([ours.ok, ours.passes]);
      }),
      { numRuns: RECORD_RUNS, seed: 143 },
    );
  });

  it(`LM2: the seed and the choice of a request agree (fast-check, ${RECORD_RUNS} request ids, rules and passes)`, async function () {
    const r = new Rng(45);
    await fc.assert(
      fc.asyncProperty(
        uint256Arb,
        fc.integer({ min: 0, max: MAX_TEMPERATURE_SHIFT + 1 }),
        fc.nat({ max: 0xffffffff }),
        async (requestId, rule, pass) => {
          expect(await lib.seedOf(requestId)).to.equal(hexlify(seedOf(requestId)));
          const logits = randomLogits(r);
          const theirs = await lib.choose(bytesOf(logits), rule, requestId, pass);
          expect(Number(theirs)).to.equal(chooseByte(ruleOf(rule, requestId), logits, pass));
        },
      ),
      { numRuns: RECORD_RUNS, seed: 144 },
    );
    expect(getBytes(await lib.seedOf(1n))).to.deep.equal(seedOf(1n));
  });

  it("reverts on logits of the wrong length, a shift above 7, a pass past the output", async function () {
    await expect(lib.greedyByte(new Uint8Array(255)))
      .to.be.revertedWithCustomError(lib, "GenerationLibBadLogits")
      .withArgs(255);
    await expect(lib.sampledByte(new Uint8Array(256), ethers.ZeroHash, 0, 8))
      .to.be.revertedWithCustomError(lib, "GenerationLibBadShift")
      .withArgs(8);
    await expect(lib.passInput("0x61", "0x62", 2, 4, 0))
      .to.be.revertedWithCustomError(lib, "GenerationLibPassOutOfRange")
      .withArgs(2, 1);
    await expect(lib.choose(new Uint8Array(100), 0, 1, 0))
      .to.be.revertedWithCustomError(lib, "GenerationLibBadLogits")
      .withArgs(100);
  });

  it("a choice costs little gas: greedy and sampled over 256 logits", async function () {
    const logits = hexlify(bytesOf(randomLogits(new Rng(44))));
    const [greedy, sampled] = await lib.choiceGas(logits, ethers.ZeroHash);
    expect(greedy).to.be.lessThan(100_000n);
    expect(sampled).to.be.lessThan(300_000n);
  });
});
