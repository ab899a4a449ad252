/**
 * Opening the challenger's disputes: for each "open" record (a wrong result found by a check), the daemon first
 * looks on-chain for a `DisputeOpened` of its own on that request since the record was written (a send before a
 * crash), then, inside the window: `proveBatchLeaf` for a batch leaf, the bond (balance and allowance), and
 * `openDispute`. It waits while another challenger's game on the commitment runs, and skips (logged, journaled)
 * once the window has closed or another challenger has proven the result wrong.
 */
import { AbiCoder, keccak256 } from "ethers";

import { IERC20__factory } from "../../typechain-types";
import { InferenceRequestStatus as STATUS } from "../../protocol/constants";
import { findEvent } from "../../protocol/events";
import { eachLimit, isFatal, reportFailure } from "../kit/common";
import { tokens } from "../kit/log";
import type { JournalRecord } from "../kit/journal";
import { forgetView, logOnce, type ChallengerContext } from "./context";
import { findOurDispute, recordGame } from "./games";

/** Opens (or finds, or skips) the dispute of every "open" record. */
export async function openDisputes(ctx: ChallengerContext, now: bigint): Promise<void> {
  // Several at once (their transactions share a block; the bond checks take turns): a window is short.
  await eachLimit(
    ctx.journal!.replay().filter((x) => x.t === "open"),
    OPEN_CONCURRENCY,
    async (r) => {
      try {
        await openOne(ctx, r, now);
      } catch (e) {
        if (isFatal(e)) throw e;
        ctx.reconciled.delete(r.key!);
        reportFailure(
          ctx.log,
          e,
          {
            race: "the commitment moved on before our dispute (a harmless race); will read it again",
            failure: "opening a dispute failed; will retry",
          },
          { requestId: r.requestId },
        );
      }
    },
  );
}

/** Disputes opened at once, at most. */
const OPEN_CONCURRENCY = 8;

function skip(ctx: ChallengerContext, r: JournalRecord, reason: string, fields: Record<string, unknown> = {}): void {
  ctx.metrics.disputesSkipped++;
  ctx.journal!.complete(r.key!, { skipped: reason });
  forgetView(ctx, BigInt(r.requestId as string));
  ctx.log.warn(`dispute skipped: ${reason}`, { requestId: r.requestId, ...fields });
}

async function openOne(ctx: ChallengerContext, r: JournalRecord, now: bigint): Promise<void> {
  const id = BigInt(r.requestId as string);
  // Ours already (sent before a crash, or by a send whose receipt was lost)?
  if (!ctx.reconciled.has(r.key!)) {
    const mine = await findOurDispute(ctx, id, Number(r.fromBlock ?? 0));
    if (mine !== null) {
      recordGame(ctx, r, mine);
      return;
    }
    ctx.reconciled.add(r.key!);
  }
  let status = Number(await ctx.rpc.call("statusOf", () => ctx.inference.statusOf(id)));
  if (status === STATUS.Batched) {
    const batchId = BigInt(r.batchId as string);
    const b = await ctx.rpc.call("getBatch", () => ctx.inference.getBatch(batchId));
    if (now + 1n >= b.windowEnd) {
      return skip(ctx, r, "the challenge window has closed", { batchId, windowEnd: b.windowEnd });
    }
    ctx.hooks.afterJournal?.(r);
    const proven = await ctx.rpc.send(`proveBatchLeaf(${id})`, (o) =>
      ctx.inference.proveBatchLeaf(
        batchId,
        r.index as number,
        id,
        r.outputHash as string,
        r.traceRoot as string,
        r.proof as string[],
        o,
      ),
    );
    ctx.hooks.afterSend?.(`proveBatchLeaf(${id})`);
    ctx.metrics.leavesProven++;
    ctx.log.info("batch leaf proven: it stands as an individual commitment", {
      requestId: id,
      batchId,
      gas: proven.gasUsed,
    });
    status = Number(await ctx.rpc.call("statusOf", () => ctx.inference.statusOf(id)));
  }
  if (status === STATUS.Disputed) {
    // Another challenger's game is running (ours would have been found above): wait for its outcome.
    logOnce(ctx, r.key!, "info", "another challenger's game on this commitment is running; waiting", {
      requestId: id,
    });
    return;
  }
  if (status === STATUS.Rejected) return skip(ctx, r, "another challenger already proved it wrong");
  if (status !== STATUS.Committed) return skip(ctx, r, `the request's status is ${STATUS[status] ?? status}`);
  const req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
  // The transaction lands in a later block (timestamp > now), which must still be before the window's end.
  if (now + 1n >= req.windowEnd) {
    return skip(ctx, r, "the challenge window has closed", { windowEnd: req.windowEnd });
  }
  const commitment = keccak256(
    AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [r.outputHash as string, r.traceRoot as string]),
  );
  if (commitment.toLowerCase() !== req.commitmentHash.toLowerCase()) {
    return skip(ctx, r, "the commitment on-chain is not the one checked");
  }
  const bond = await reserveBond(ctx, r, id);
  if (bond === null) return;
  ctx.hooks.afterJournal?.(r);
  let receipt;
  try {
    receipt = await ctx.rpc.send(`openDispute(${id})`, (o) =>
      ctx.disputes.openDispute(id, r.outputHash as string, r.traceRoot as string, o),
    );
  } finally {
    ctx.bondsInFlight -= bond;
  }
  ctx.hooks.afterSend?.(`openDispute(${id})`);
  const ev = findEvent(receipt.logs, ctx.disputes.interface, "DisputeOpened");
  const disputeId = ev!.args.disputeId as bigint;
  ctx.metrics.disputesOpened++;
  ctx.log.warn("dispute opened", {
    disputeId,
    requestId: id,
    bond: tokens(ev!.args.bond as bigint),
    node: ev!.args.node,
    gas: receipt.gasUsed,
  });
  recordGame(ctx, r, disputeId);
}

/**
 * The bond of the dispute on `id`, once affordable and approved on top of the bonds in flight, reserved until the
 * dispute is sent; null (logged once) while the balance is short. The checks take turns (`bondQueue`).
 */
function reserveBond(ctx: ChallengerContext, r: JournalRecord, id: bigint): Promise<bigint | null> {
  const run = ctx.bondQueue.then(() => checkBond(ctx, r, id));
  ctx.bondQueue = run.catch(() => undefined);
  return run;
}

async function checkBond(ctx: ChallengerContext, r: JournalRecord, id: bigint): Promise<bigint | null> {
  // The bond grows with the collateral and with every game challengers lost on this commitment (bondFor).
  const bond = await ctx.rpc.call("bondFor", () => ctx.disputes.bondFor(id));
  if (!ctx.token) {
    const address = await ctx.rpc.call("token", () => ctx.inference.token());
    ctx.token = IERC20__factory.connect(address, ctx.opts.signer);
  }
  const token = ctx.token;
  const need = bond + ctx.bondsInFlight;
  const balance = await ctx.rpc.call("balanceOf", () => token.balanceOf(ctx.address));
  if (balance < need) {
    logOnce(ctx, r.key!, "warn", "cannot afford the dispute bond; waiting for funds until the window closes", {
      requestId: id,
      bond: tokens(bond),
      balance: tokens(balance),
      inFlight: tokens(ctx.bondsInFlight),
    });
    return null;
  }
  const spender = ctx.opts.addresses.disputeManager;
  const allowance = await ctx.rpc.call("allowance", () => token.allowance(ctx.address, spender));
  if (allowance < need) {
    await ctx.rpc.send("approve(bond)", (o) => token.approve(spender, need, o));
    ctx.log.info("bond approved", { spender, amount: tokens(need) });
  }
  ctx.bondsInFlight += bond;
  return bond;
}
