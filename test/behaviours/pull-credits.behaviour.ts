import { expect } from "chai";
import type { BaseContract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { method, titled } from "./subject";
import type { EventName, MethodName, Subject } from "./subject";

export interface PullCreditsSpec<F, C extends BaseContract> extends Subject<F, C> {
  /** The token the credits are paid in. */
  token: (f: F) => BaseContract;
  /** An account the fixture credited. */
  claimant: (f: F) => HardhatEthersSigner;
  /** What the fixture credited it (more than 0). */
  amount: (f: F) => bigint;
  /** An account with no credits. */
  stranger: (f: F) => HardhatEthersSigner;
  /** The custom error of a claim with nothing to claim: `error(account)`. */
  error: string;
  /** The claim function, the credits view and the claim event: claimCredits, credits, CreditsClaimed unless given. */
  claim?: NoInfer<MethodName<C>>;
  credits?: NoInfer<MethodName<C>>;
  event?: NoInfer<EventName<C>>;
  id?: string;
}

/**
 * Pull payments: an accrued credit is paid by `claim()` to the caller exactly (the contract's balance falls by what
 * the caller's rises), emits `event(account, amount)` and is zeroed, so a second claim, like a claim with no credits,
 * reverts `error(account)`.
 */
export function shouldBehaveLikePullCredits<F, C extends BaseContract>(spec: PullCreditsSpec<F, C>): void {
  const claim = spec.claim ?? "claimCredits";
  const credits = spec.credits ?? "credits";
  const event = spec.event ?? "CreditsClaimed";
  const creditsOf = async (c: C, who: HardhatEthersSigner): Promise<bigint> => method(c, credits)(who.address);
  const claimBy = (c: C, who: HardhatEthersSigner) => method(c.connect(who), claim)();

  it(
    titled(spec.id, `${claim}() pays the claimant exactly its ${credits}, zeroes them and emits ${event}`),
    async function () {
      const f = await spec.fixture();
      const c = spec.contract(f);
      const [who, amount] = [spec.claimant(f), spec.amount(f)];
      expect(amount).to.be.greaterThan(0n);
      expect(await creditsOf(c, who)).to.equal(amount);
      const tx = claimBy(c, who);
      await expect(tx).to.changeTokenBalances(spec.token(f), [c, who], [-amount, amount]);
      await expect(tx).to.emit(c, event).withArgs(who.address, amount);
      expect(await creditsOf(c, who)).to.equal(0n);
    },
  );

  it(titled(spec.id, `a second ${claim}() reverts ${spec.error}(account)`), async function () {
    const f = await spec.fixture();
    const c = spec.contract(f);
    const who = spec.claimant(f);
    await claimBy(c, who);
    await expect(claimBy(c, who)).to.be.revertedWithCustomError(c, spec.error).withArgs(who.address);
  });

  it(titled(spec.id, `${claim}() with no ${credits} reverts ${spec.error}(account)`), async function () {
    const f = await spec.fixture();
    const c = spec.contract(f);
    const who = spec.stranger(f);
    expect(await creditsOf(c, who)).to.equal(0n);
    await expect(claimBy(c, who)).to.be.revertedWithCustomError(c, spec.error).withArgs(who.address);
  });
}
