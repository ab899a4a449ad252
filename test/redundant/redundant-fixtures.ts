import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { RedundantManager } from "../../typechain-types";
import type { IRedundantManager } from "../../typechain-types/contracts/redundant/RedundantManager";
import { commitArgs, RedundantBoard, type Side } from "../../game/boards/redundant";
import { driveGame, type PlayedMove } from "../../game/driver";
import { GameOutcome } from "../../game/enums";
import { Player } from "../../game/player";
import type { PartyView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import type { DemoModelName } from "../../models/demo-models";
import { deployDisputeFixture, digitInput, FEE, redundantLibraries, VERSION_OF } from "../helpers/dispute-fixtures";
import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { demoModel } from "../../models/demo-models";
import { MINIMUM_STAKE } from "../helpers/fixtures";

export { GameOutcome, FEE, VERSION_OF };
/** RedundantManager's request and slot statuses (the generated enums); `RequestStatus` is the redundant one. */
export { RedundantRequestStatus as RequestStatus, SlotStatus } from "../../protocol/constants";

export const COLLATERAL_MULTIPLIER = 10n;
export const COLLATERAL = FEE * COLLATERAL_MULTIPLIER;
export const COMMIT_TIMEOUT = 3600n;
export const MOVE_CLOCK = 3600n;
export const CLOCK_EXTENSION = 600n;
export const REWARD_PPM = 500_000n;
/** What a game's winner gets from the loser's slashed collateral. */
export const REWARD = (COLLATERAL * REWARD_PPM) / 1_000_000n;

export const PARAMS: IRedundantManager.ParamsStruct = {
  maxNodes: 5,
  collateralMultiplier: COLLATERAL_MULTIPLIER,
  commitTimeout: COMMIT_TIMEOUT,
  moveClock: MOVE_CLOCK,
  clockExtension: CLOCK_EXTENSION,
  rewardPpm: REWARD_PPM,
};

/**
 * The dispute fixture (both demo models published with their real commitments, version 1 = MLP, 2 = CNN) plus a
 * RedundantManager wired as Protocol.ts wires it: INFERENCE_ROLE and SLASHER_ROLE on Staking, SLASHER_ROLE on the
 * NodeRegistry. Operators 0..3 are staked and registered on both versions; the requester has approved it.
 */
export async function deployRedundantFixture() {
  const f = await deployDisputeFixture();
  const { token, staking, models, nodes, verifier, gameLib, governor, operators, requester } = f;
  const redundant = (await ethers.deployContract(
    "RedundantManager",
    [
      {
        token: await token.getAddress(),
        modelRegistry: await models.getAddress(),
        nodeRegistry: await nodes.getAddress(),
        staking: await staking.getAddress(),
        verifier: await verifier.getAddress(),
      },
      governor.address,
      PARAMS,
    ],
    { libraries: await redundantLibraries(gameLib) },
  )) as unknown as RedundantManager;
  const address = await redundant.getAddress();
  await staking.connect(governor).grantRole(await staking.INFERENCE_ROLE(), address);
  await staking.connect(governor).grantRole(await staking.SLASHER_ROLE(), address);
  await nodes.connect(governor).grantRole(await nodes.SLASHER_ROLE(), address);
  for (const op of operators.slice(2, 4)) {
    await staking.connect(op).stake(MINIMUM_STAKE * 2n);
    await nodes.connect(op).register(`http://127.0.0.1:${7000 + operators.indexOf(op)}`, [1, 2]);
  }
  await token.connect(requester).approve(address, ethers.MaxUint256);
  return { ...f, redundant };
}

export type RedundantFixture = Awaited<ReturnType<typeof deployRedundantFixture>>;

/** The addresses of operators 0..k-1 (all four are eligible in the fixture): the nodes a test request names. */
/** The first byte where the two chunks opened in game `gameId` differ: the byte its `proveStep` decides. */
export async function firstDifference(redundant: RedundantManager, gameId: bigint): Promise<number> {
  const g = await redundant.getGame(gameId);
  const [a, b] = [ethers.getBytes(g.chunkA), ethers.getBytes(g.chunkB)];
  return a.findIndex((x, i) => x !== b[i]);
}

export function namedNodes(f: RedundantFixture, k: number): string[] {
  return f.operators.slice(0, k).map((o) => o.address);
}

/**
 * Requests `name` on held-out digit `digit` from `k` nodes, operators 0..k-1 unless `nodes` names others; returns
 * the request id and the honest view.
 */
export async function requestRedundant(
  f: RedundantFixture,
  name: DemoModelName,
  digit: number,
  k: number,
  nodes: string[] = namedNodes(f, k),
): Promise<{ requestId: bigint; s0: Int8Array }> {
  const { s0 } = digitInput(name, digit);
  await (await f.redundant.connect(f.requester).request(VERSION_OF[name], bytesOf(s0), FEE, nodes)).wait();
  return { requestId: await f.redundant.requestCount(), s0 };
}

/** `node` commits its view of `requestId`. */
export async function commitView(f: RedundantFixture, node: HardhatEthersSigner, requestId: bigint, view: PartyView) {
  const a = commitArgs(view);
  return f.redundant.connect(node).commit(requestId, a.output, a.traceRoot, a.inputProof, a.outputProof);
}

/** A lie at state `step` (1..L), byte `byte`, by `delta` (default 64), later states recomputed unless `propagate` is
 * false. The demo models end in a saturating Softmax, so most lies in early states never reach the output: a test
 * that needs the outputs to differ adds a lie at step L (the first difference, and so the game's step, stays the
 * earliest lie). */
export interface Lie {
  step: number;
  byte: number;
  delta?: number;
  propagate?: boolean;
}

export function lieView(model: DemoModelName, s0: Int8Array, lies?: Lie | Lie[]): PartyView {
  const m = demoModel(model);
  let view = honestView(m.program, s0, m.weights);
  for (const lie of lies === undefined ? [] : Array.isArray(lies) ? lies : [lies]) {
    view = tamperedView(view, lie.step, lie.byte, { delta: lie.delta ?? 64, propagate: lie.propagate });
  }
  return view;
}

export interface RefereeSetup {
  model: DemoModelName;
  digit: number;
  /** Node A's (slot 0, operator 0) lie, if any. */
  lieA?: Lie | Lie[];
  /** Node B's (slot 1, operator 1) lie, if any. */
  lieB?: Lie | Lie[];
  stops?: { side: Side; after: number };
}

export interface RefereeGame {
  requestId: bigint;
  gameId: bigint;
  views: Record<Side, PartyView>;
  nodes: Record<Side, HardhatEthersSigner>;
  players: Record<Side, Player<Side>>;
  /** Gas of the request and both commits (the second one opens the game). */
  setupGas: { request: bigint; commitA: bigint; commitB: bigint };
}

/** A k = 2 request committed by operator 0 (A) and operator 1 (B) from their views; the game is open if they differ. */
export async function openRefereeGame(f: RedundantFixture, setup: RefereeSetup): Promise<RefereeGame> {
  const { s0 } = digitInput(setup.model, setup.digit);
  return openRefereeGameWith(
    f,
    setup.model,
    setup.digit,
    lieView(setup.model, s0, setup.lieA),
    lieView(setup.model, s0, setup.lieB),
  );
}

/** `openRefereeGame` with the two views given (undefined: honest). */
export async function openRefereeGameWith(
  f: RedundantFixture,
  model: DemoModelName,
  digit: number,
  viewA: PartyView | undefined,
  viewB: PartyView | undefined,
): Promise<RefereeGame> {
  const { s0 } = digitInput(model, digit);
  const views = { A: viewA ?? lieView(model, s0), B: viewB ?? lieView(model, s0) };
  const nodes = { A: f.operators[0], B: f.operators[1] };
  const request = (await (
    await f.redundant.connect(f.requester).request(VERSION_OF[model], bytesOf(s0), FEE, namedNodes(f, 2))
  ).wait())!.gasUsed;
  const requestId = await f.redundant.requestCount();
  const commitA = (await (await commitView(f, nodes.A, requestId, views.A)).wait())!.gasUsed;
  const commitB = (await (await commitView(f, nodes.B, requestId, views.B)).wait())!.gasUsed;
  return {
    requestId,
    gameId: (await f.redundant.getRequest(requestId)).activeGame,
    views,
    nodes,
    players: {
      A: new Player("A", views.A, new RedundantBoard(f.redundant.connect(nodes.A))),
      B: new Player("B", views.B, new RedundantBoard(f.redundant.connect(nodes.B))),
    },
    setupGas: { request, commitA, commitB },
  };
}

/**
 * Plays an open game to the end with the shared driver. A side named in `stops` stops after that many moves and is
 * timed out: time runs to its deadline (the clock still runs there), then a stranger calls `resolveTimeout`.
 */
export async function playRefereeGame(
  f: RedundantFixture,
  game: RefereeGame,
  stops?: RefereeSetup["stops"],
): Promise<{ outcome: GameOutcome; moves: PlayedMove<Side>[]; gas: bigint }> {
  return driveGame(game.gameId, game.players, {
    stops,
    onStop: async () => {
      await time.increaseTo((await f.redundant.deadline(game.gameId)) - 1n);
      await expect(f.redundant.resolveTimeout(game.gameId)).to.be.revertedWithCustomError(
        f.redundant,
        "BisectionGameClockRunning",
      );
      return (await (await f.redundant.connect(f.stranger).resolveTimeout(game.gameId)).wait())!.gasUsed;
    },
  });
}

/** The honest outcome of a game where A's and B's views are as given (true = that side lies). */
export function expectedOutcome(aLies: boolean, bLies: boolean): GameOutcome {
  if (aLies && bLies) return GameOutcome.BothWrong;
  return aLies ? GameOutcome.AWrong : GameOutcome.BWrong;
}
