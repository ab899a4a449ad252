import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

async function harnessFixture() {
  return { ppm: await ethers.deployContract("PPMMathHarness") };
}

describe("PPMMath", function () {
  it("L1: computes amount * ppm / 1e6 rounded down, never above the amount", async function () {
    const { ppm } = await loadFixture(harnessFixture);
    expect(await ppm.mulPPM(1_000_000n, 500_000n)).to.equal(500_000n);
    expect(await ppm.mulPPM(3n, 500_000n)).to.equal(1n);
    expect(await ppm.mulPPM(7n, 1_000_000n)).to.equal(7n);
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 2n ** 200n }),
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        async (a, p) => {
          const r = await ppm.mulPPM(a, p);
          expect(r).to.equal((a * p) / 1_000_000n);
          expect(r).to.be.at.most(a);
        },
      ),
      { numRuns: 50, seed: 1 },
    );
  });

  it("L1: reverts for a ppm above one whole", async function () {
    const { ppm } = await loadFixture(harnessFixture);
    await expect(ppm.mulPPM(1n, 1_000_001n))
      .to.be.revertedWithCustomError(ppm, "PPMMathInvalidPPM")
      .withArgs(1_000_001n);
  });
});
