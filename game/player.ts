/**
 * Plays one side of a bisection game from that party's own view of the trace (game/view.ts), on either game
 * contract through its board (game/board.ts, game/boards/): it reads the game, computes the move its side owes,
 * builds the proofs and sends the transaction. The tests and the demo drive two of them (game/driver.ts); the node
 * and challenger daemons play one side each.
 *
 * The strategy is the honest one for whatever view it is given: reveal its own state roots; against the other
 * side's roots, name the first step where they part; reveal the true children of its cursor at every level, and
 * (where the board asks for a choice) descend into the first child the other side revealed differently; open its
 * own chunk; and finally hand the verifier the witness for the first byte where the two chunks differ. A dishonest
 * party is simply a player holding a tampered view.
 */
import { VerityError } from "../executor/errors";
import { sendProof, type BoardState, type GameBoard, type Move, type StepWitness } from "./board";
import { cheapestStepProof, type LayerWitness, type StateSlice, type WeightRow } from "./step-proof";
import { chunkHex, subtreeRoot, type PartyView } from "./view";

/** The party cannot find a move its view supports (e.g. a challenger that agrees with every revealed root). */
export class NoMoveError extends VerityError {}

export class Player<S extends string> {
  constructor(
    readonly side: NoInfer<S>,
    readonly view: PartyView,
    /** The game contract, connected to this party's signer. */
    readonly board: GameBoard<S>,
  ) {}

  /** The move this party owes in game `gameId` now, or null when the other side (or nobody) is on the move. */
  async nextMove(gameId: bigint): Promise<Move | null> {
    const g = await this.board.read(gameId);
    if (g.stage === null || g.mover === null || (g.mover !== "either" && g.mover !== this.side)) return null;
    const { board } = this;
    const { states, trace, weights } = this.view;
    const move = (name: string, send: Move["send"]): Move => ({ name, send });

    switch (g.stage) {
      case "roots":
        return board.revealRoots(gameId, this.view);
      case "locate": {
        const theirs = await board.firstRoots(gameId, g);
        const diverges = theirs.findIndex((r, i) => r.toLowerCase() !== trace.stateRoots[i].toLowerCase());
        if (diverges < 1) {
          throw new NoMoveError(
            diverges === 0
              ? "the other side's first state root differs from the input's, which the contract should have refused"
              : "we agree with every state root the other side revealed: there is nothing to dispute",
          );
        }
        const step = diverges - 1;
        return board.locate(gameId, step, trace.stateRoots, theirs, layerWitness(weights.layerProof(step)));
      }
      case "children": {
        const [left, right] = this.children(g);
        return move(`revealChildren(level ${g.level})`, () => board.manager.revealChildren(gameId, left, right));
      }
      case "choice": {
        const choose = board.chooseChild?.bind(board);
        if (!choose || !g.revealed) throw new NoMoveError("the board asks for a choice but offers none");
        const [left, right] = this.children(g);
        const leftDiffers = left.toLowerCase() !== g.revealed[0].toLowerCase();
        const rightDiffers = right.toLowerCase() !== g.revealed[1].toLowerCase();
        if (!leftDiffers && !rightDiffers) throw new NoMoveError("both children revealed agree with ours");
        const toRight = !leftDiffers;
        return move(`chooseChild(${toRight ? "right" : "left"})`, () => choose(gameId, toRight));
      }
      case "chunk": {
        const chunk = chunkHex(states[g.step + 1], g.cursorIndex);
        return move(`openChunk(${g.cursorIndex})`, () => board.manager.openChunk(gameId, chunk));
      }
      case "proof":
        return this.proof(gameId, g);
      case "passRoots":
      case "pass":
      case "logits":
        throw new NoMoveError(
          "a game over a generation fixes its pass first: play it with a GenerationPlayer or a RefereedGenerationPlayer",
        );
    }
  }

  /** Plays the owed move, if any, and waits for it to be mined. Returns the move's name, or null. */
  async play(gameId: bigint): Promise<string | null> {
    const move = await this.nextMove(gameId);
    if (!move) return null;
    const tx = await move.send();
    await tx.wait();
    return move.name;
  }

  /** Our two children of the cursor: the nodes at the level below, in the chunk tree of S_{k+1}. */
  private children(g: BoardState<S>): [string, string] {
    const state = this.view.states[g.step + 1];
    const index = 2 * g.cursorIndex;
    return [subtreeRoot(state, g.level - 1, index), subtreeRoot(state, g.level - 1, index + 1)];
  }

  /** The proof of the first byte where the two sides' chunks differ (a chunk not opened on-chain is ours). */
  private proof(gameId: bigint, g: BoardState<S>): Move {
    const { board } = this;
    const { program, states, weights } = this.view;
    const ours = () => chunkHex(states[g.step + 1], g.cursorIndex);
    const [a, b] = board.sides.map((s) => Buffer.from((g.chunks[s] ?? ours()).slice(2), "hex"));
    const byteIndex = a.findIndex((x, i) => x !== b[i]);
    if (byteIndex < 0) throw new NoMoveError("the two chunks agree byte for byte");
    const element = g.cursorIndex * 32 + byteIndex;
    const padding = element >= g.outLength;
    // Past the state's end the contract checks the byte against 0 itself. Otherwise there are two witnesses for the
    // same element: one contiguous run of S_k, or only the chunks it reads with a multiproof. Send whichever is
    // smaller in calldata (sparse wins for wide convolutions).
    const witness: StepWitness = padding
      ? { sparse: false, proof: emptyWitness(weights.layerProof(g.step)) }
      : cheapestStepProof(program, states, g.step, element, weights);
    return {
      name: `${witness.sparse ? "proveStepSparse" : "proveStep"}(byte ${element}${padding ? ", padding" : ""})`,
      send: () => sendProof(board.manager, gameId, byteIndex, witness),
    };
  }
}

/** Only the fields of a layer witness the contracts take (a `layerProof(k)` result carries more). */
export function layerWitness(layer: LayerWitness): LayerWitness {
  return { descriptor: layer.descriptor, rowsRoot: layer.rowsRoot, layerProof: layer.layerProof };
}

/** A proof for a byte past the state's end, which the contract decides without the verifier. */
export function emptyWitness(layer: LayerWitness): { layer: LayerWitness; slice: StateSlice; rows: WeightRow[] } {
  return {
    layer: layerWitness(layer),
    slice: { firstChunk: 0, chunks: "0x", proof: [] },
    rows: [],
  };
}
