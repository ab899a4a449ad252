/**
 * Gas of redundant requests (contracts/redundant/RedundantManager.sol) on the demo MLP, from the receipts of real
 * requests and refereed games on Hardhat's in-process network (wired as test/redundant/redundant-fixtures.ts):
 *   redundantRequest        request with k = 2 (784-byte input: its chunk root is computed on-chain, once)
 *   redundantCommit         the first of the two commits (slot, anchors of the input and output roots, lock)
 *   redundantCommitFinal    the second commit in agreement, which finalizes the request and pays both nodes
 *   redundantDisputeTotal   every transaction of the most expensive refereed MLP game, both sides: the conflicting
 *                           commit that opens it, then roots, roots-and-locate, the bisection, both chunks and the
 *                           proof, over a lie in the last byte of every state (the deepest chunk-tree path)
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { driveGame } from "../game/driver";
import { GameOutcome } from "../game/enums";
import { demoModel } from "../models/demo-models";
import {
  commitView,
  deployRedundantFixture,
  lieView,
  openRefereeGame,
  requestRedundant,
} from "../test/redundant/redundant-fixtures";

export interface RedundantGas {
  redundantRequest: number;
  redundantCommit: number;
  redundantCommitFinal: number;
  redundantDisputeTotal: number;
}

export async function benchRedundant(log: (line: string) => void = console.log): Promise<RedundantGas> {
  const { program } = demoModel("mlp");
  const L = program.layers.length;

  // Agreement, k = 2.
  const f = await loadFixture(deployRedundantFixture);
  const { requestId, s0 } = await requestRedundant(f, "mlp", 7, 2);
  const requestGas = (await f.redundant.queryFilter(f.redundant.filters.RedundantRequested(requestId)))[0];
  const request = Number((await requestGas.getTransactionReceipt()).gasUsed);
  const view = lieView("mlp", s0);
  const commit = Number((await (await commitView(f, f.operators[0], requestId, view)).wait())!.gasUsed);
  const commitFinal = Number((await (await commitView(f, f.operators[1], requestId, view)).wait())!.gasUsed);
  log(`  k = 2 in agreement: request ${request}, commit ${commit}, finalizing commit ${commitFinal} gas`);

  // Disagreement: node B lies in the last byte of S_{k+1} (and in the output, so that the outputs differ).
  let total = 0;
  for (let k = 0; k < L; k++) {
    const outLength = program.layers[k].outShape.reduce((a, b) => a * b, 1);
    const lies =
      k + 1 === L
        ? [{ step: L, byte: outLength - 1 }]
        : [
            { step: k + 1, byte: outLength - 1 },
            { step: L, byte: 0 },
          ];
    const g = await loadFixture(deployRedundantFixture);
    const game = await openRefereeGame(g, { model: "mlp", digit: 7, lieB: lies });
    const played = await driveGame(game.gameId, game.players);
    if (played.outcome !== GameOutcome.BWrong) throw new Error(`mlp step ${k}: the lying node was not caught`);
    const gameTotal = Number(game.setupGas.commitB + played.gas);
    total = Math.max(total, gameTotal);
    log(
      `  mlp lie at S_${k + 1}: ${played.moves.length + 1} transactions (opening commit ${game.setupGas.commitB}), ` +
        `game total ${gameTotal.toLocaleString("en-US")} gas`,
    );
  }
  return {
    redundantRequest: request,
    redundantCommit: commit,
    redundantCommitFinal: commitFinal,
    redundantDisputeTotal: total,
  };
}
