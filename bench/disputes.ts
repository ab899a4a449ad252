/**
 * Gas of the verification game, on the demo models, from the receipts of real games on Hardhat's in-process
 * network (the protocol wired as in test/helpers/dispute-fixtures.ts):
 *   disputeOpen       openDispute (bond transfer, commitment check, freeze)
 *   bisectionMove     the most expensive single bisection move (selectStep, revealChildren or chooseChild)
 *   oneStepMax        per model, the most expensive proveStep over a lie at every layer (the one-step verifier)
 *   disputeTotalMlp   every transaction of the most expensive full MLP game, both sides, opening included
 *   disputeTotalCnn   the same for the CNN
 * For each model and each layer k, a dishonest node lies in S_{k+1} (byte chosen so the game reaches the verifier
 * through the deepest chunk tree), and an honest challenger plays the game to the end.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { Role } from "../game/boards/dispute";
import { Phase } from "../game/enums";
import type { Player } from "../game/player";
import { DisputeOutcome } from "../protocol/constants";
import { demoModel, type DemoModelName } from "../models/demo-models";
import { deployDisputeFixture } from "../test/helpers/dispute-fixtures";
import { openGame } from "../test/helpers/dispute-game";

export interface DisputeGas {
  disputeOpen: number;
  bisectionMove: number;
  oneStepMax: Record<DemoModelName, number>;
  disputeTotalMlp: number;
  disputeTotalCnn: number;
}

/** The figures under their `bench/results.json` keys (`gas.oneStepMax` keeps the per-model record as well). */
export function disputeGasKeys(d: DisputeGas): Record<string, number> {
  return {
    disputeOpen: d.disputeOpen,
    bisectionMove: d.bisectionMove,
    oneStepMaxMlp: d.oneStepMax.mlp,
    oneStepMaxCnn: d.oneStepMax.cnn,
    disputeTotalMlp: d.disputeTotalMlp,
    disputeTotalCnn: d.disputeTotalCnn,
  };
}

/** Plays one game, returning the gas of each move by name. */
async function measuredGame(model: DemoModelName, step: number, byte: number) {
  const f = await loadFixture(deployDisputeFixture);
  const game = await openGame(f, { model, digit: 7, nodeLie: { step, byte } });
  const moves: { name: string; gas: number }[] = [{ name: "openDispute", gas: Number(game.gas) }];
  for (let turn = 0; turn < 100; turn++) {
    const d = await f.disputes.getDispute(game.disputeId);
    if (Number(d.phase) === Phase.Resolved) return { moves, outcome: Number(d.outcome) };
    const side = (await f.disputes.onTheMove(game.disputeId)) === game.node.address ? "node" : "challenger";
    const player: Player<Role> = game.players[side];
    const move = await player.nextMove(game.disputeId);
    if (!move) throw new Error(`${side} has no move in ${model} game at step ${step}`);
    const receipt = await (await move.send()).wait();
    moves.push({ name: move.name, gas: Number(receipt!.gasUsed) });
  }
  throw new Error("game did not end");
}

export async function benchDisputes(log: (line: string) => void = console.log): Promise<DisputeGas> {
  let disputeOpen = 0;
  let bisectionMove = 0;
  const oneStepMax = { mlp: 0, cnn: 0 };
  const totals = { mlp: 0, cnn: 0 };
  for (const model of ["mlp", "cnn"] as const) {
    const { program } = demoModel(model);
    for (let k = 0; k < program.layers.length; k++) {
      const outLength = program.layers[k].outShape.reduce((a, b) => a * b, 1);
      // The last byte of the state: the deepest path through its chunk tree.
      const { moves, outcome } = await measuredGame(model, k + 1, outLength - 1);
      if (outcome !== DisputeOutcome.NodeWrong)
        throw new Error(`${model} step ${k + 1}: the lying node was not caught`);
      const prove = moves.find((m) => m.name.startsWith("proveStep"))!;
      const total = moves.reduce((n, m) => n + m.gas, 0);
      disputeOpen = Math.max(disputeOpen, moves[0].gas);
      for (const m of moves) {
        if (/^(selectStep|revealChildren|chooseChild)/.test(m.name)) bisectionMove = Math.max(bisectionMove, m.gas);
      }
      oneStepMax[model] = Math.max(oneStepMax[model], prove.gas);
      totals[model] = Math.max(totals[model], total);
      log(
        `  ${model} layer ${k} (${program.layers[k].op}, ${outLength} bytes): ${moves.length} transactions, ` +
          `proveStep ${prove.gas.toLocaleString()} gas, game total ${total.toLocaleString()} gas`,
      );
    }
  }
  return { disputeOpen, bisectionMove, oneStepMax, disputeTotalMlp: totals.mlp, disputeTotalCnn: totals.cnn };
}
