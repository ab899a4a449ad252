/**
 * A chain clock that stands still. Challenge windows and move clocks run on block timestamps, and on an automine
 * chain (`npx hardhat node`, or anvil without `--block-time`) a block is mined only when a transaction arrives: with
 * no traffic the chain's clock does not move, so a daemon waiting for a window to end waits forever, and nothing
 * would say why. A daemon's parts tell the `ClockWatch` the latest block's timestamp whenever they read it, and what
 * they wait for on the chain's time, if anything; once that timestamp has not moved for `stallMs` of wall time while
 * something waits, it warns once, with the remedy (a chain with interval mining: `verity dev`, anvil
 * `--block-time 1`). It warns again only after the clock has moved and stalled anew.
 */
import type { Logger } from "./log";

/** Wall time without a new block timestamp, while something waits on the chain's clock, before the warning. */
export const CLOCK_STALL_MS = 120_000;

export class ClockWatch {
  private last: bigint | null = null;
  private since = 0;
  private warned = false;

  constructor(
    private readonly log: Logger,
    private readonly stallMs = CLOCK_STALL_MS,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /**
   * Records the latest block's `timestamp`; `waitingFor` names what waits for the chain's time to pass (e.g. "3
   * settlements after their challenge windows"), or is null when nothing does. Returns true when it warned.
   */
  observe(timestamp: bigint, waitingFor: string | null): boolean {
    const now = this.wallClock();
    if (this.last === null || timestamp !== this.last) {
      this.last = timestamp;
      this.since = now;
      this.warned = false;
      return false;
    }
    if (waitingFor === null || this.warned || now - this.since < this.stallMs) return false;
    this.warned = true;
    this.log.warn(
      "the chain's clock has not moved: its latest block is unchanged, so windows and move clocks do not run. The chain " +
        "mines a block only when a transaction arrives (automine: `npx hardhat node`, or anvil without --block-time); " +
        "use a chain with interval mining (`verity dev`, or anvil --block-time 1), or mine blocks",
      { waitingFor, blockTimestamp: timestamp, stalledSeconds: Math.round((now - this.since) / 1000) },
    );
    return true;
  }
}
