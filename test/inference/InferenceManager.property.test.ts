import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { BatchStatus } from "../../protocol/constants";
import { MINIMUM_STAKE, MODE } from "../helpers/fixtures";
import {
  bytesOf,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_VERSION,
  makeBatch,
  merkleProof,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

/** Random action sequences in `npm test` (PROPERTY_RUNS overrides: fewer would miss paths; `npm run test:long` runs 100). */
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 50);

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 31);
const OUTPUT = bytesOf(10, 32);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 33));
const UNSETTLED = new Set<bigint>([STATUS.Open, STATUS.Assigned, STATUS.Committed, STATUS.Disputed, STATUS.Batched]);
const TERMINAL = new Set<bigint>([STATUS.Finalized, STATUS.Rejected, STATUS.Refunded]);

type Action =
  | { kind: "request"; who: number; node: number; mode: number; extra: number }
  | { kind: "claim"; node: number; pick: number }
  | { kind: "reopen"; pick: number; byClaimant: boolean }
  | { kind: "commit"; node: number; pick: number }
  | { kind: "finalize"; pick: number }
  | { kind: "refund"; pick: number }
  | { kind: "begin"; pick: number }
  | { kind: "end"; pick: number; nodeWrong: boolean }
  | { kind: "dispute"; pick: number; nodeWrong: boolean; seconds: number }
  | { kind: "batch"; node: number; size: number }
  | { kind: "prove"; pick: number; leaf: number }
  | { kind: "finalizeBatch"; pick: number }
  | { kind: "claimCredits"; who: number }
  | { kind: "wait"; seconds: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("request" as const),
      who: fc.nat(1),
      node: fc.nat(2), // 0: open, 1: node, 2: node2
      mode: fc.constantFrom(MODE.OPTIMISTIC, MODE.NONE),
      extra: fc.nat(3),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("claim" as const), node: fc.nat(1), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("reopen" as const), pick: fc.nat(), byClaimant: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("commit" as const), node: fc.nat(1), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("finalize" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refund" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("begin" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("end" as const), pick: fc.nat(), nodeWrong: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("dispute" as const),
      pick: fc.nat(),
      nodeWrong: fc.boolean(),
      seconds: fc.constantFrom(1, 600, 5000),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      node: fc.nat(1),
      size: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("prove" as const), pick: fc.nat(), leaf: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("finalizeBatch" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("claimCredits" as const), who: fc.nat(3) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.constantFrom(60, 600, 3601, 3601) }),
  },
);

interface BatchRecord {
  ids: bigint[];
  b: ReturnType<typeof makeBatch>;
}

/** Runs one action; a revert is an allowed outcome (the invariants are checked after every step either way). */
async function run(f: InferenceFixture, a: Action, batches: BatchRecord[]): Promise<boolean> {
  const count = Number(await f.manager.requestCount());
  const nodes = [f.node, f.node2];
  const views = await Promise.all(Array.from({ length: count }, (_, i) => f.manager.getRequest(BigInt(i + 1))));
  // Mostly a request the action applies to (so that every path runs), one time in five any id (so do reverts).
  const pickWhere = (p: number, ok: (r: (typeof views)[number]) => boolean) => {
    const candidates = views.map((r, i) => ({ r, id: BigInt(i + 1) })).filter(({ r }) => ok(r));
    if (p % 5 === 0 || candidates.length === 0) return BigInt((p % Math.max(count, 1)) + 1);
    return candidates[p % candidates.length].id;
  };
  try {
    switch (a.kind) {
      case "request": {
        const node = a.node === 0 ? NONE : nodes[a.node - 1].address;
        const fee = VERSION_FEE + BigInt(a.extra) * 10n ** 17n;
        await f.manager.connect(f.requesters[a.who]).request(DIGITS_VERSION, INPUT, fee, node, a.mode, NONE, 0);
        break;
      }
      case "claim":
        await f.manager.connect(nodes[a.node]).claim(pickWhere(a.pick, (r) => r.status === STATUS.Open));
        break;
      case "reopen": {
        const id = pickWhere(a.pick, (r) => r.status === STATUS.Assigned && r.serveDeadline !== 0n);
        const claimant = nodes.find((n) => n.address === views[Number(id) - 1]?.node);
        await f.manager.connect(a.byClaimant && claimant ? claimant : f.stranger).reopen(id);
        break;
      }
      case "commit":
        await f.manager.connect(nodes[a.node]).commit(
          pickWhere(a.pick, (r) => r.status === STATUS.Assigned && r.node === nodes[a.node].address),
          OUTPUT,
          TRACE_ROOT,
        );
        break;
      case "finalize":
        await f.manager.finalize(
          pickWhere(a.pick, (r) => r.status === STATUS.Committed),
          "0x",
          ethers.ZeroHash,
        );
        break;
      case "refund":
        await f.manager.refund(pickWhere(a.pick, (r) => r.status === STATUS.Open || r.status === STATUS.Assigned));
        break;
      case "begin":
        await f.manager
          .connect(f.disputer)
          .beginDispute(pickWhere(a.pick, (r) => r.status === STATUS.Committed && r.mode === BigInt(MODE.OPTIMISTIC)));
        break;
      case "end":
        await f.manager.connect(f.disputer).endDispute(
          pickWhere(a.pick, (r) => r.status === STATUS.Disputed),
          a.nodeWrong,
        );
        break;
      case "dispute": {
        // a whole game as the DisputeManager plays it: begin, some time, end with a verdict
        const id = pickWhere(a.pick, (r) => r.status === STATUS.Committed && r.mode === BigInt(MODE.OPTIMISTIC));
        await f.manager.connect(f.disputer).beginDispute(id);
        await time.increase(a.seconds);
        await f.manager.connect(f.disputer).endDispute(id, a.nodeWrong);
        break;
      }
      case "batch": {
        const node = nodes[a.node];
        const ids: bigint[] = [];
        for (let id = 1n; id <= BigInt(count) && ids.length < a.size; id++) {
          const r = await f.manager.getRequest(id);
          if (r.status === STATUS.Assigned && r.node === node.address) ids.push(id);
        }
        if (ids.length === 0) return false;
        const b = makeBatch(ids);
        await f.manager.connect(node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
        batches.push({ ids, b });
        break;
      }
      case "prove": {
        if (batches.length === 0) return false;
        const rec = batches[a.pick % batches.length];
        const i = a.leaf % rec.ids.length;
        await f.manager.proveBatchLeaf(
          BigInt(batches.indexOf(rec) + 1),
          i,
          rec.ids[i],
          rec.b.outputHashes[i],
          rec.b.traceRoots[i],
          merkleProof(rec.b.leaves, i),
        );
        break;
      }
      case "finalizeBatch": {
        if (batches.length === 0) return false;
        const k = a.pick % batches.length;
        await f.manager.finalizeBatch(BigInt(k + 1), batches[k].ids);
        break;
      }
      case "claimCredits": {
        const who = [f.requesters[0], f.requesters[1], f.node, f.node2][a.who];
        await f.manager.connect(who).claimCredits();
        break;
      }
      case "wait":
        await time.increase(a.seconds);
        break;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!message.includes("reverted")) throw e;
    return false;
  }
  return true;
}

/**
 * Solvency, collateral accounting (claims included), settle-once and the price of abandoned claims, from the
 * contracts' own views and events.
 */
async function checkInvariants(f: InferenceFixture, terminal: Map<bigint, bigint>): Promise<void> {
  const count = await f.manager.requestCount();
  let escrow = 0n;
  const locked = new Map<string, bigint>([
    [f.node.address, 0n],
    [f.node2.address, 0n],
  ]);
  for (let id = 1n; id <= count; id++) {
    const r = await f.manager.getRequest(id);
    if (UNSETTLED.has(r.status)) escrow += r.fee;
    // a pending claim holds fee x the claim's multiplier; a chosen node's Assigned request holds nothing
    if (r.status === STATUS.Assigned) expect(r.collateral > 0n, `claim ${id}`).to.equal(r.serveDeadline !== 0n);
    if (r.status === STATUS.Assigned || r.status === STATUS.Committed || r.status === STATUS.Disputed) {
      locked.set(r.node, (locked.get(r.node) ?? 0n) + r.collateral);
    }
    const before = terminal.get(id);
    if (before !== undefined) expect(r.status, `request ${id} settled twice`).to.equal(before);
    else if (TERMINAL.has(r.status)) terminal.set(id, r.status);
  }
  const batchCount = await f.manager.batchCount();
  for (let id = 1n; id <= batchCount; id++) {
    const b = await f.manager.getBatch(id);
    const held = b.collateralRemaining;
    if (Number(b.status) === BatchStatus.Committed) locked.set(b.node, (locked.get(b.node) ?? 0n) + held);
    else expect(held).to.equal(0n);
  }
  let credits = 0n;
  for (const who of [...f.requesters, f.node, f.node2, f.outsider, f.stranger]) credits += await f.manager.credits(who);
  expect(await f.token.balanceOf(await f.manager.getAddress()), "balance == escrow + credits").to.equal(
    escrow + credits,
  );
  for (const [node, amount] of locked)
    expect(await f.staking.lockedStake(node), `locked stake of ${node}`).to.equal(amount);
  // C10-2: each abandoned claim cost its claimant exactly the request's fee of stake, and nothing else did
  const penalties = new Map<string, bigint>([
    [f.node.address, 0n],
    [f.node2.address, 0n],
  ]);
  for (const ev of await f.manager.queryFilter(f.manager.filters.ClaimAbandoned())) {
    const r = await f.manager.getRequest(ev.args.requestId);
    expect(ev.args.penalty, `penalty of request ${ev.args.requestId}`).to.equal(r.fee);
    penalties.set(ev.args.node, (penalties.get(ev.args.node) ?? 0n) + ev.args.penalty);
  }
  for (const [node, paid] of penalties)
    expect(await f.staking.totalStake(node), `stake of ${node}`).to.equal(MINIMUM_STAKE * 2n - paid);
}

describe("InferenceManager properties", function () {
  it("I1, I2, I3, C10-2, C10-4: stays solvent, keeps collateral exact (claims included), charges one fee per abandoned claim and settles each request at most once over random sequences", async function () {
    this.timeout(120_000);
    const succeeded = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 10, maxLength: 40 }), async (actions) => {
        const f = await loadFixture(deployInferenceFixture);
        const batches: BatchRecord[] = [];
        const terminal = new Map<bigint, bigint>();
        for (const a of actions) {
          if (await run(f, a, batches)) succeeded.set(a.kind, (succeeded.get(a.kind) ?? 0) + 1);
          await checkInvariants(f, terminal);
        }
      }),
      { numRuns: PROPERTY_RUNS, seed: 20261123 },
    );
    // The sequences reached every path (not only reverts), so the invariants were checked where they matter.
    for (const kind of ["request", "claim", "reopen", "commit", "finalize", "refund", "dispute", "batch", "prove"]) {
      expect(succeeded.get(kind) ?? 0, `successful ${kind} actions`).to.be.greaterThan(0);
    }
    expect(succeeded.get("finalizeBatch") ?? 0, "successful finalizeBatch actions").to.be.greaterThan(0);
  });
});
