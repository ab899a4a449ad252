/**
 * Plays one node's side of a refereed game over a generation (docs/GENERATION.md §9) on the RedundantManager: node A
 * reveals the trace roots of its passes (`revealPassRoots`); node B reveals its own with A's echoed and the contract
 * locates the first pass where the two generations' bytes or pass roots part (`revealPassRootsAndLocate`). If the
 * two pass roots there are equal, the logits are agreed and either node proves which byte they choose
 * (`proveChoice`); otherwise A reveals its state roots of that pass (`revealPassStates`) and the game goes on inside
 * the pass as an ordinary refereed game, played by a `Player` over the node's view of the pass.
 *
 * A node's `GenerationView` (game/generation.ts) says what it stands behind: the response record and pass roots it
 * committed and its states of any pass. A dishonest node is a player holding a tampered view.
 */
import type { RedundantManager } from "../typechain-types";
import type { Move } from "./board";
import { RedundantBoard, type Side } from "./boards/redundant";
import { logitsWitness, type GenerationView } from "./generation";
import { NoMoveError, Player } from "./player";

/** What a node commits to a redundant request for a generation version: its response and its generation root. */
export function generationCommitArgs(
  view: Pick<GenerationView, "output">,
  generationRoot: string,
): { output: Uint8Array; traceRoot: string; inputProof: string[]; outputProof: string[] } {
  // A generation's commitment is anchored by its pass roots and records when a game reveals them, not at commit.
  return { output: view.output, traceRoot: generationRoot, inputProof: [], outputProof: [] };
}

export class RefereedGenerationPlayer {
  /** The board the driver reads (game/driver.ts); the moves inside a pass use a board holding the records. */
  readonly board: RedundantBoard;

  constructor(
    readonly side: Side,
    readonly view: GenerationView,
    /** The redundant manager, connected to this node's signer. */
    readonly manager: RedundantManager,
  ) {
    this.board = new RedundantBoard(manager);
  }

  /** The move this node owes in game `gameId` now, or null. */
  async nextMove(gameId: bigint): Promise<Move | null> {
    const g = await this.board.read(gameId);
    if (g.stage === null || (g.mover !== this.side && g.mover !== "either")) return null;
    const { input, output, passRoots } = this.view;
    if (g.stage === "passRoots") {
      return {
        name: `revealPassRoots(${passRoots.length} passes)`,
        send: () => this.manager.revealPassRoots(gameId, [...passRoots], input, output),
      };
    }
    if (g.stage === "pass") return this.locatePass(gameId, g.accounts.A);
    const pass = Number((await this.manager.getGame(gameId)).pass);
    const view = this.view.passView(pass);
    if (g.stage === "logits") {
      const { logits, proof } = logitsWitness(view);
      return { name: `proveChoice(pass ${pass})`, send: () => this.manager.proveChoice(gameId, logits, proof) };
    }
    // Inside the pass: A's state roots are revealed with the request and A's response.
    const records = this.side === "A" ? { input, output } : { input, output: await this.responseOf(gameId, "A") };
    return new Player(this.side, view, new RedundantBoard(this.manager, records)).nextMove(gameId);
  }

  /** B's answer to A's pass roots: ours, A's echoed (from `PassRootsRevealed`) and both responses. */
  private async locatePass(gameId: bigint, nodeA: string): Promise<Move> {
    const logs = await this.manager.queryFilter(this.manager.filters.PassRootsRevealed(gameId, nodeA));
    if (logs.length === 0) throw new NoMoveError(`${nodeA} has revealed no pass roots in game ${gameId}`);
    const rootsOfA = [...logs[logs.length - 1].args.passRoots];
    const outputOfA = await this.responseOf(gameId, "A");
    const { input, output, passRoots } = this.view;
    return {
      name: `revealPassRootsAndLocate(${passRoots.length} passes)`,
      send: () =>
        this.manager.revealPassRootsAndLocate(
          gameId,
          { passRoots: [...passRoots], output },
          { passRoots: rootsOfA, output: outputOfA },
          input,
        ),
    };
  }

  /** The response record the node on `side` committed (from `RedundantCommitted`, which carries it). */
  private async responseOf(gameId: bigint, side: Side): Promise<Uint8Array> {
    const game = await this.manager.getGame(gameId);
    const node = side === "A" ? game.nodeA : game.nodeB;
    const logs = await this.manager.queryFilter(this.manager.filters.RedundantCommitted(game.requestId, node));
    if (logs.length === 0) throw new NoMoveError(`${node} has no commitment to request ${game.requestId}`);
    return Uint8Array.from(Buffer.from(logs[0].args.output.slice(2), "hex"));
  }
}
