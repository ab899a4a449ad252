import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { BaseContract } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { method, titled } from "./subject";
import type { EventName, Subject } from "./subject";

export interface ChessClockSpec<F, C extends BaseContract> extends Subject<F, C> {
  /** The id of an open game in the fixture. */
  game: (f: F) => bigint;
  /** The side on the move. */
  mover: (f: F) => HardhatEthersSigner;
  /** Sends the mover's next legal move. */
  move: (f: F) => Promise<unknown>;
  /** A third party, who may resolve a timeout. */
  resolver: (f: F) => HardhatEthersSigner;
  /** The custom errors: (game, deadline), (game) and (game). */
  errors: { clockRunning: string; clockExpired: string; alreadyResolved: string };
  /** The event of the game's resolution against the mover, with its arguments. */
  resolved: { event: NoInfer<EventName<C>>; args: (f: F) => unknown[] };
  /** test/PROPERTIES.md ids: of the clock, and of the single resolution. */
  ids?: { clock?: string; resolution?: string };
}

/**
 * A chess clock (a game with `resolveTimeout(game)`, `deadline(game)` and `onTheMove(game)`): the side on the move
 * may move up to and including the second of its deadline and not after; `resolveTimeout` reverts while that clock
 * runs, then anyone may call it from the next second on, which resolves the game once, against the side on the move.
 */
export function shouldBehaveLikeChessClock<F, C extends BaseContract>(spec: ChessClockSpec<F, C>): void {
  const { errors, ids = {} } = spec;
  const view = async (c: C, name: "deadline" | "onTheMove", id: bigint) => method(c, name)(id);
  const resolveBy = (c: C, who: HardhatEthersSigner, id: bigint) => method(c.connect(who), "resolveTimeout")(id);

  /** The open game, its deadline, and the clock checked to be the mover's and still running. */
  async function open() {
    const f = await spec.fixture();
    const c = spec.contract(f);
    const id = spec.game(f);
    expect(await view(c, "onTheMove", id)).to.equal(spec.mover(f).address);
    const deadline: bigint = await view(c, "deadline", id);
    expect(deadline).to.be.greaterThan(BigInt(await time.latest()) + 1n);
    return { f, c, id, deadline };
  }

  it(
    titled(ids.clock, `resolveTimeout reverts ${errors.clockRunning}(game, deadline) up to the deadline`),
    async function () {
      const { f, c, id, deadline } = await open();
      await expect(resolveBy(c, spec.resolver(f), id))
        .to.be.revertedWithCustomError(c, errors.clockRunning)
        .withArgs(id, deadline);
      await time.increaseTo(deadline - 1n);
      await time.setNextBlockTimestamp(deadline);
      await expect(resolveBy(c, spec.resolver(f), id))
        .to.be.revertedWithCustomError(c, errors.clockRunning)
        .withArgs(id, deadline);
      expect(await view(c, "onTheMove", id)).to.equal(spec.mover(f).address);
    },
  );

  it(titled(ids.clock, "accepts the mover's move in the last second of its clock"), async function () {
    const { f, id, c, deadline } = await open();
    await time.increaseTo(deadline - 1n);
    await time.setNextBlockTimestamp(deadline);
    await expect(spec.move(f)).to.not.be.reverted;
    expect(await time.latest()).to.equal(deadline);
    expect(await view(c, "onTheMove", id)).to.not.equal(spec.mover(f).address);
  });

  it(
    titled(ids.clock, `rejects the mover's move once its clock ran out, with ${errors.clockExpired}(game)`),
    async function () {
      const { f, c, id, deadline } = await open();
      await time.increaseTo(deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(spec.move(f)).to.be.revertedWithCustomError(c, errors.clockExpired).withArgs(id);
    },
  );

  it(
    titled(ids.resolution, `resolveTimeout past the deadline resolves the game against the mover, for anyone, once`),
    async function () {
      const { f, c, id, deadline } = await open();
      await time.increaseTo(deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(resolveBy(c, spec.resolver(f), id))
        .to.emit(c, spec.resolved.event)
        .withArgs(...spec.resolved.args(f));
      expect(await time.latest()).to.equal(deadline + 1n);
      for (const who of [spec.resolver(f), spec.mover(f)]) {
        await expect(resolveBy(c, who, id))
          .to.be.revertedWithCustomError(c, errors.alreadyResolved)
          .withArgs(id);
      }
      expect(await view(c, "onTheMove", id)).to.equal(ethers.ZeroAddress);
      expect(await view(c, "deadline", id)).to.equal(0n);
    },
  );
}
