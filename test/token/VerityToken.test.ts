import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { signPermit } from "../../scripts/lib/protocol";
import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { deployProtocolFixture, ONE } from "../helpers/fixtures";
import type { ProtocolFixture } from "../helpers/fixtures";

describe("VerityToken", function () {
  it("has a name, a symbol, 18 decimals and an EIP-712 domain for permits", async function () {
    const { token } = await loadFixture(deployProtocolFixture);
    expect(await token.name()).to.equal("Verity");
    expect(await token.symbol()).to.equal("VRT");
    expect(await token.decimals()).to.equal(18);
    const domain = await token.eip712Domain();
    expect(domain.name).to.equal("Verity");
    expect(domain.version).to.equal("1");
    expect(domain.chainId).to.equal((await ethers.provider.getNetwork()).chainId);
  });

  it("mints the initial supply to the initial holder", async function () {
    const [admin, holder] = await ethers.getSigners();
    const token = await ethers.deployContract("VerityToken", [admin.address, holder.address, 5n * ONE]);
    expect(await token.balanceOf(holder.address)).to.equal(5n * ONE);
    expect(await token.totalSupply()).to.equal(5n * ONE);
    expect(await token.hasRole(await token.MINTER_ROLE(), admin.address)).to.equal(true);
  });

  it("reverts on a zero admin", async function () {
    const { token } = await loadFixture(deployProtocolFixture);
    const factory = await ethers.getContractFactory("VerityToken");
    await expect(factory.deploy(ethers.ZeroAddress, ethers.ZeroAddress, 0)).to.be.revertedWithCustomError(
      token,
      "VerityTokenZeroAddress",
    );
  });

  describe("mint", function () {
    it("mints to any address for the minter, with a Transfer event", async function () {
      const { token, governor, stranger } = await loadFixture(deployProtocolFixture);
      await expect(token.connect(governor).mint(stranger.address, 7n))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, stranger.address, 7n);
      expect(await token.balanceOf(stranger.address)).to.equal(7n);
    });

    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(deployProtocolFixture),
      contract: (f: ProtocolFixture) => f.token,
      role: "MINTER_ROLE",
      callers: (f) => [f.stranger],
      calls: { mint: (token, caller) => token.mint(caller.address, 1n) },
    });
  });

  describe("permit", function () {
    it("sets an allowance from a signature and rejects its replay", async function () {
      const { token, operators, stranger } = await loadFixture(deployProtocolFixture);
      const [owner] = operators;
      const deadline = BigInt(await time.latest()) + 600n;
      const sig = await signPermit(token, owner, stranger.address, 3n, deadline);
      await expect(token.permit(owner.address, stranger.address, 3n, deadline, sig.v, sig.r, sig.s))
        .to.emit(token, "Approval")
        .withArgs(owner.address, stranger.address, 3n);
      expect(await token.allowance(owner.address, stranger.address)).to.equal(3n);
      await expect(
        token.permit(owner.address, stranger.address, 3n, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
    });
  });

  it("burns", async function () {
    const { token, operators } = await loadFixture(deployProtocolFixture);
    const [op] = operators;
    const supply = await token.totalSupply();
    await expect(token.connect(op).burn(ONE)).to.changeTokenBalance(token, op, -ONE);
    expect(await token.totalSupply()).to.equal(supply - ONE);
  });
});
