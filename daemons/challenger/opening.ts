/**
 * Opening the challenger's disputes: for each "open" record (a wrong result found by a check), the daemon first
 * looks on-chain for a `DisputeOpened` of its own on that request since the record was written (a send before a
 * crash), then, inside the window: `proveBatchLeaf` for a batch leaf, the bond (balance and allowance), and
 * `openDispute`. It waits while another challenger's game on the commitment runs, and skips (logged, journaled)
 * once the window has closed or another challenger has proven the result wrong.
 */
import { AbiCoder, keccak256 } from "ethers";

import { IERC20__factory, type IERC20 } from "../../typechain-types";
import { errorMessage as message, isFatal } from "../kit/common";
import type { Journal, JournalRecord } from "../kit/journal";
import { BATCHED, STATUS, type ChallengerDaemon } from "./daemon";
import type { GamePlayer } from "./games";

export class DisputeOpener {
  private token: IERC20 | null = null;
  /** "open" keys already looked up on-chain by this process (a restart looks again). */
  private readonly reconciled = new Set<string>();

  constructor(
    private readonly d: ChallengerDaemon,
    private readonly journal: Journal,
    private readonly games: GamePlayer,
  ) {}

  async openAll(now: bigint): Promise<void> {
    for (const r of this.journal.replay().filter((x) => x.t === "open")) {
      try {
        await this.openOne(r, now);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.reconciled.delete(r.key!);
        this.d.log.error("opening a dispute failed; will retry", { requestId: r.requestId, error: message(e) });
      }
    }
  }

  private skip(r: JournalRecord, reason: string, fields: Record<string, unknown> = {}): void {
    this.d.metrics.disputesSkipped++;
    this.journal.complete(r.key!, { skipped: reason });
    this.d.forgetView(BigInt(r.requestId as string));
    this.d.log.warn(`dispute skipped: ${reason}`, { requestId: r.requestId, ...fields });
  }

  private async openOne(r: JournalRecord, now: bigint): Promise<void> {
    const id = BigInt(r.requestId as string);
    // Ours already (sent before a crash, or by a send whose receipt was lost)?
    if (!this.reconciled.has(r.key!)) {
      const mine = await this.games.findOurDispute(id, Number(r.fromBlock ?? 0));
      if (mine !== null) {
        this.games.record(r, mine);
        return;
      }
      this.reconciled.add(r.key!);
    }
    let status = Number(await this.d.rpc.call("statusOf", () => this.d.inference.statusOf(id)));
    if (status === BATCHED) {
      const batchId = BigInt(r.batchId as string);
      const b = await this.d.rpc.call("getBatch", () => this.d.inference.getBatch(batchId));
      if (now + 1n >= b.windowEnd) {
        return this.skip(r, "the challenge window has closed", { batchId, windowEnd: b.windowEnd });
      }
      this.d.hooks.afterJournal?.(r);
      const proven = await this.d.rpc.send(`proveBatchLeaf(${id})`, (o) =>
        this.d.inference.proveBatchLeaf(
          batchId,
          r.index as number,
          id,
          r.outputHash as string,
          r.traceRoot as string,
          r.proof as string[],
          o,
        ),
      );
      this.d.hooks.afterSend?.(`proveBatchLeaf(${id})`);
      this.d.metrics.leavesProven++;
      this.d.log.info("batch leaf proven: it stands as an individual commitment", {
        requestId: id,
        batchId,
        gas: proven.gasUsed,
      });
      status = Number(await this.d.rpc.call("statusOf", () => this.d.inference.statusOf(id)));
    }
    if (status === STATUS.Disputed) {
      // Another challenger's game is running (ours would have been found above): wait for its outcome.
      this.d.logOnce(r.key!, "info", "another challenger's game on this commitment is running; waiting", {
        requestId: id,
      });
      return;
    }
    if (status === STATUS.Rejected) return this.skip(r, "another challenger already proved it wrong");
    if (status !== STATUS.Committed) return this.skip(r, `the request's status is ${status}`);
    const req = await this.d.rpc.call("getRequest", () => this.d.inference.getRequest(id));
    // The transaction lands in a later block (timestamp > now), which must still be before the window's end.
    if (now + 1n >= req.windowEnd) {
      return this.skip(r, "the challenge window has closed", { windowEnd: req.windowEnd });
    }
    const commitment = keccak256(
      AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [r.outputHash as string, r.traceRoot as string]),
    );
    if (commitment.toLowerCase() !== req.commitmentHash.toLowerCase()) {
      return this.skip(r, "the commitment on-chain is not the one checked");
    }
    if (!(await this.ensureBond(r, id))) return;
    this.d.hooks.afterJournal?.(r);
    const receipt = await this.d.rpc.send(`openDispute(${id})`, (o) =>
      this.d.disputes.openDispute(id, r.outputHash as string, r.traceRoot as string, o),
    );
    this.d.hooks.afterSend?.(`openDispute(${id})`);
    const ev = receipt.logs
      .map((l) => {
        try {
          return this.d.disputes.interface.parseLog(l);
        } catch {
          return null;
        }
      })
      .find((p) => p?.name === "DisputeOpened");
    const disputeId = ev!.args.disputeId as bigint;
    this.d.metrics.disputesOpened++;
    this.d.log.warn("dispute opened", {
      disputeId,
      requestId: id,
      bond: ev!.args.bond,
      node: ev!.args.node,
      gas: receipt.gasUsed,
    });
    this.games.record(r, disputeId);
  }

  /** True once the bond is affordable and approved; false (logged once) while the balance is short. */
  private async ensureBond(r: JournalRecord, id: bigint): Promise<boolean> {
    // The bond grows with the collateral and with every game challengers lost on this commitment (bondFor).
    const bond = await this.d.rpc.call("bondFor", () => this.d.disputes.bondFor(id));
    if (!this.token) {
      const address = await this.d.rpc.call("token", () => this.d.inference.token());
      this.token = IERC20__factory.connect(address, this.d.opts.signer);
    }
    const token = this.token;
    const balance = await this.d.rpc.call("balanceOf", () => token.balanceOf(this.d.account));
    if (balance < bond) {
      this.d.logOnce(r.key!, "warn", "cannot afford the dispute bond; waiting for funds until the window closes", {
        requestId: id,
        bond,
        balance,
      });
      return false;
    }
    const spender = this.d.opts.addresses.disputeManager;
    const allowance = await this.d.rpc.call("allowance", () => token.allowance(this.d.account, spender));
    if (allowance < bond) {
      await this.d.rpc.send("approve(bond)", (o) => token.approve(spender, bond, o));
      this.d.log.info("bond approved", { spender, bond });
    }
    return true;
  }
}
