import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { deployProtocolFixture, MAX_THAW_REQUESTS, THAWING_PERIOD } from "../helpers/fixtures";

/**
 * Stateful property test (invariants S1–S6 in test/PROPERTIES.md): random sequences of stake, thaw, withdraw,
 * lock, unlock, slash and time travel across several nodes, checked after every step against a reference model
 * that mirrors the specification in IStaking (pro-rata thawing pool, slash order free -> thawing -> locked).
 */

const NODES = 2;
const RUNS = Number(process.env.STATEFUL_RUNS ?? 25);
const MAX_REWARD_PPM = 500_000n;

type Action =
  | { kind: "stake"; node: number; amount: bigint }
  | { kind: "thaw"; node: number; amount: bigint }
  | { kind: "withdraw"; node: number }
  | { kind: "lock"; node: number; amount: bigint }
  | { kind: "unlock"; node: number; amount: bigint }
  | { kind: "slash"; node: number; amount: bigint; rewardPpm: bigint }
  | { kind: "wait"; seconds: bigint };

interface NodeModel {
  active: bigint;
  locked: bigint;
  poolTokens: bigint;
  poolShares: bigint;
  nonce: number;
  requests: { shares: bigint; until: bigint; nonce: number }[];
}

const node = fc.integer({ min: 0, max: NODES - 1 });
const amount = fc.bigInt({ min: 1n, max: 2_000n });
// Weighted towards the actions whose interplay matters most: stake, lock and slash.
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("stake" as const), node, amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("thaw" as const), node, amount }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("withdraw" as const), node }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("lock" as const), node, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("unlock" as const), node, amount }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("slash" as const),
      node,
      amount: fc.bigInt({ min: 1n, max: 3_000n }),
      rewardPpm: fc.bigInt({ min: 0n, max: MAX_REWARD_PPM }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      // Hit the maturity boundary on purpose as well as random points of the thawing period.
      seconds: fc.oneof(
        fc.constantFrom(THAWING_PERIOD - 2n, THAWING_PERIOD - 1n, THAWING_PERIOD),
        fc.bigInt({ min: 1n, max: THAWING_PERIOD }),
      ),
    }),
  },
);

const min = (a: bigint, b: bigint) => (a < b ? a : b);

describe("Staking (stateful property)", function () {
  it("S1, S2, S3, S4, S5, S6, G5: stays solvent, never releases locked stake and never over-slashes, across random action sequences", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
        const { staking, token, operators, inference, slasher } = await loadFixture(deployProtocolFixture);
        const stakingAddress = await staking.getAddress();
        const ops = operators.slice(0, NODES);
        const model: NodeModel[] = ops.map(() => ({
          active: 0n,
          locked: 0n,
          poolTokens: 0n,
          poolShares: 0n,
          nonce: 0,
          requests: [],
        }));
        let now = BigInt(await time.latest());

        for (const a of actions) {
          if (a.kind === "wait") {
            await time.increase(a.seconds);
            now = BigInt(await time.latest());
            continue;
          }
          const m = model[a.node];
          const op = ops[a.node];
          const free = m.active - m.locked;

          switch (a.kind) {
            case "stake":
              await staking.connect(op).stake(a.amount);
              m.active += a.amount;
              break;
            case "thaw":
              if (a.amount > free) {
                await expect(staking.connect(op).thaw(a.amount)).to.be.revertedWithCustomError(
                  staking,
                  "StakingInsufficientFreeStake",
                );
              } else if (BigInt(m.requests.length) >= MAX_THAW_REQUESTS) {
                await expect(staking.connect(op).thaw(a.amount)).to.be.revertedWithCustomError(
                  staking,
                  "StakingTooManyThawRequests",
                );
              } else {
                await staking.connect(op).thaw(a.amount);
                const shares = m.poolShares === 0n ? a.amount : (a.amount * m.poolShares) / m.poolTokens;
                m.active -= a.amount;
                m.poolTokens += a.amount;
                m.poolShares += shares;
                m.requests.push({ shares, until: BigInt(await time.latest()) + THAWING_PERIOD, nonce: m.nonce });
              }
              break;
            case "withdraw": {
              let paid = 0n;
              let settled = 0;
              while (settled < m.requests.length && m.requests[settled].until <= now + 1n) {
                const r = m.requests[settled];
                if (r.nonce === m.nonce) {
                  const tokens = (r.shares * m.poolTokens) / m.poolShares;
                  m.poolTokens -= tokens;
                  m.poolShares -= r.shares;
                  paid += tokens;
                }
                settled++;
              }
              if (settled === 0) {
                await expect(staking.connect(op).withdraw()).to.be.revertedWithCustomError(
                  staking,
                  "StakingNothingToWithdraw",
                );
              } else {
                const lockedBefore = await staking.lockedStake(op.address);
                const activeBefore = (await staking.totalStake(op.address)) - (await staking.thawingStake(op.address));
                await expect(staking.connect(op).withdraw()).to.changeTokenBalances(token, [op], [paid]);
                m.requests.splice(0, settled);
                // S4: withdrawing never touches active (hence locked) stake.
                expect(await staking.lockedStake(op.address)).to.equal(lockedBefore);
                expect((await staking.totalStake(op.address)) - (await staking.thawingStake(op.address))).to.equal(
                  activeBefore,
                );
              }
              break;
            }
            case "lock":
              if (a.amount > free) {
                await expect(staking.connect(inference).lock(op.address, a.amount))
                  .to.be.revertedWithCustomError(staking, "StakingInsufficientFreeStake")
                  .withArgs(op.address, free, a.amount);
              } else {
                await staking.connect(inference).lock(op.address, a.amount);
                m.locked += a.amount;
              }
              break;
            case "unlock":
              await staking.connect(inference).unlock(op.address, a.amount);
              m.locked -= min(a.amount, m.locked);
              break;
            case "slash": {
              const total = m.active + m.poolTokens;
              const slashed = min(a.amount, total);
              const reward = (slashed * a.rewardPpm) / 1_000_000n;
              const beneficiary = slasher.address;
              // S5: the slash never exceeds the node's stake, the reward never exceeds the cap.
              await expect(
                staking.connect(slasher).slash(op.address, a.amount, beneficiary, a.rewardPpm),
              ).to.changeTokenBalances(token, [stakingAddress, beneficiary], [-slashed, reward]);
              expect(slashed).to.be.at.most(total);
              expect(reward * 2n).to.be.at.most(slashed);
              let remaining = slashed;
              const fromFree = min(remaining, m.active - m.locked);
              m.active -= fromFree;
              remaining -= fromFree;
              const fromThawing = min(remaining, m.poolTokens);
              m.poolTokens -= fromThawing;
              remaining -= fromThawing;
              if (fromThawing > 0n && m.poolTokens === 0n) {
                m.poolShares = 0n;
                m.nonce += 1;
              }
              m.active -= remaining;
              m.locked -= remaining;
              break;
            }
          }
          now = BigInt(await time.latest());

          // The contract agrees with the model, node by node.
          let sum = 0n;
          for (let i = 0; i < NODES; i++) {
            const mi = model[i];
            const addr = ops[i].address;
            expect(await staking.lockedStake(addr)).to.equal(mi.locked, `locked of node ${i}`);
            expect(await staking.freeStake(addr)).to.equal(mi.active - mi.locked, `free of node ${i}`);
            expect(await staking.thawingStake(addr)).to.equal(mi.poolTokens, `thawing of node ${i}`);
            expect(mi.locked).to.be.at.most(mi.active); // S3: locked stake is always backed by active stake
            sum += mi.active + mi.poolTokens;
          }
          // S1: solvency. The token balance is exactly the sum of active and thawing stake.
          expect(await token.balanceOf(stakingAddress)).to.equal(sum);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 20261123), endOnFailure: true },
    );
  });

  it("S4: rejects a thaw of locked stake whatever the history", async function () {
    const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
    const [op] = operators;
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 1n, max: 1_000n }),
        fc.bigInt({ min: 0n, max: 1_000n }),
        async (lock, extra) => {
          const staked = lock + extra;
          await staking.connect(op).stake(staked);
          await staking.connect(inference).lock(op.address, lock);
          const free = await staking.freeStake(op.address);
          await expect(staking.connect(op).thaw(free + 1n))
            .to.be.revertedWithCustomError(staking, "StakingInsufficientFreeStake")
            .withArgs(op.address, free, free + 1n);
          await staking.connect(inference).unlock(op.address, lock);
        },
      ),
      { numRuns: 20, seed: 7 },
    );
    expect(await ethers.provider.getBalance(op.address)).to.be.greaterThan(0n);
  });
});
