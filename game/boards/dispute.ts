/**
 * DisputeManager (contracts/disputes/DisputeManager.sol) as a game board: a node defends its commitment against a
 * challenger. The node reveals its state roots with the input and output bytes that anchor them
 * (`revealStateRoots`), the challenger selects the step it disputes with both roots' proofs (`selectStep`), the
 * node reveals children and the challenger chooses one at every level, the node opens its chunk and the challenger
 * proves the byte it disputes. Play it with `new Player(role, view, new DisputeBoard(manager))`.
 */
import type { DisputeManager } from "../../typechain-types";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import { boardState, type BoardState, type GameBoard, type Move, type Stage } from "../board";
import { Phase } from "../enums";
import { NoMoveError } from "../player";
import type { LayerWitness } from "../step-proof";
import type { PartyView } from "../view";

export type Role = "node" | "challenger";

/** What each phase asks for, and of whom. */
const STAGES: Partial<Record<Phase, [Stage, Role]>> = {
  [Phase.AwaitingRoots]: ["roots", "node"],
  [Phase.AwaitingStep]: ["locate", "challenger"],
  [Phase.AwaitingChildren]: ["children", "node"],
  [Phase.AwaitingChoice]: ["choice", "challenger"],
  [Phase.AwaitingChunk]: ["chunk", "node"],
  [Phase.AwaitingProof]: ["proof", "challenger"],
  [Phase.AwaitingPassRoots]: ["passRoots", "node"],
  [Phase.AwaitingPass]: ["pass", "challenger"],
};

/** The request and response records a generation's dispute reveals in place of a pass's S_0 and S_L. */
export interface GenerationRecords {
  readonly input: Uint8Array;
  readonly output: Uint8Array;
}

export class DisputeBoard implements GameBoard<Role> {
  readonly sides = ["node", "challenger"] as const;

  /**
   * `manager`: the dispute manager, connected to the signer of the party that plays through this board. `records`:
   * in a dispute over a generation, played inside one pass, the records that anchor the pass's roots.
   */
  constructor(
    readonly manager: DisputeManager,
    readonly records?: GenerationRecords,
  ) {}

  async read(disputeId: bigint): Promise<BoardState<Role>> {
    const d = await this.manager.getDispute(disputeId);
    const phase = Number(d.phase);
    return boardState(d, STAGES, Phase.Resolved, {
      accounts: { node: d.node, challenger: d.challenger },
      revealed: phase === Phase.AwaitingChoice ? [d.left, d.right] : undefined,
      chunks: phase === Phase.AwaitingProof ? { node: d.chunk } : {},
    });
  }

  /**
   * The state roots the node revealed for the request (in this dispute or an earlier one); in a generation's
   * dispute, those of this dispute's pass.
   */
  async firstRoots(disputeId: bigint, d: BoardState<Role>): Promise<string[]> {
    const filter = this.records
      ? this.manager.filters.StateRootsRevealed(disputeId)
      : this.manager.filters.StateRootsRevealed(undefined, d.requestId);
    const logs = await this.manager.queryFilter(filter);
    if (logs.length === 0) throw new NoMoveError(`no state roots have been revealed for request ${d.requestId}`);
    return [...logs[logs.length - 1].args.stateRoots];
  }

  /** `revealStateRoots`, with the input S_0 and the output S_L that anchor the first and the last root. */
  revealRoots(disputeId: bigint, { states, trace, program }: PartyView): Move {
    const input = this.records?.input ?? bytesOf(states[0]);
    const output = this.records?.output ?? bytesOf(states[program.layers.length]);
    return {
      name: "revealStateRoots",
      send: () => this.manager.revealStateRoots(disputeId, [...trace.stateRoots], input, output),
    };
  }

  /** `selectStep`: the challenger accepts the node's root `step` and disputes root `step + 1`, proving both. */
  locate(
    disputeId: bigint,
    step: number,
    _ours: readonly string[],
    nodeRoots: readonly string[],
    layer: LayerWitness,
  ): Move {
    const tree = MerkleTree.fromLeaves([...nodeRoots]);
    return {
      name: `selectStep(${step})`,
      send: () =>
        this.manager.selectStep(
          disputeId,
          step,
          nodeRoots[step],
          tree.proof(step),
          nodeRoots[step + 1],
          tree.proof(step + 1),
          layer,
        ),
    };
  }

  chooseChild(disputeId: bigint, right: boolean) {
    return this.manager.chooseChild(disputeId, right);
  }
}
