/**
 * Plays one side of a dispute over a generation (docs/GENERATION.md §8) on the DisputeManager: the node reveals the
 * trace roots of its passes (`revealPassRoots`), the challenger selects the first pass where the node's byte or the
 * node's pass root differs from its own (`selectPass`), and the game goes on inside that pass as an ordinary dispute,
 * played by a `Player` over the party's view of the pass. There the challenger who agrees with every state root of
 * the pass proves instead that the committed logits choose another byte than the node's (`proveChoice`).
 *
 * A party's `GenerationView` says what it stands behind: the records and pass roots it committed (or, for a
 * challenger, the true ones) and its states of any pass. A dishonest party is a player holding a tampered view.
 */
import type { DisputeManager } from "../typechain-types";
import { answerRequest, decodeResponse, passInput, specOfRequest, type GenerationTerms } from "../executor/generate";
import type { Program } from "../executor/runtime/program";
import { MerkleTree } from "../executor/trace/merkle";
import { bytesOf } from "../executor/trace/trace";
import { WeightsCommitment } from "../executor/trace/weights";
import type { BoardState, Move } from "./board";
import { DisputeBoard, type Role } from "./boards/dispute";
import { NoMoveError, Player } from "./player";
import { honestView, type PartyView } from "./view";

/** What one party of a generation's dispute believes. */
export interface GenerationView {
  readonly program: Program;
  readonly weights: WeightsCommitment;
  /** The request record. */
  readonly input: Uint8Array;
  /** The response record the party stands behind. */
  readonly output: Uint8Array;
  /** Its passes' trace roots (their Merkle root is its trace root). */
  readonly passRoots: readonly string[];
  /** Its states of pass `t`. */
  passView(t: number): PartyView;
}

/**
 * The honest view of request `requestId`: the generation `answerRequest` computes (its pass roots kept), each pass's
 * states recomputed when a game needs them (a pass is one forward pass). `keepOnlyLast`: as `generationView`.
 */
export function honestGenerationView(
  program: Program,
  terms: GenerationTerms,
  requestId: bigint,
  input: Uint8Array,
  weights = new WeightsCommitment(program),
  opts: { keepOnlyLast?: boolean } = {},
): GenerationView {
  const answer = answerRequest(program, terms, requestId, input);
  const passRoots = answer.generation?.passRoots ?? [];
  return generationView(program, terms, requestId, input, answer.output, weights, new Map(), { ...opts, passRoots });
}

/**
 * The view of a party standing behind the response record `output` to request `requestId`, with every pass run
 * honestly on the bytes `output` holds (a node whose only lie is a byte of its output: its passes after the lie
 * read the lie), but those in `overrides`. `passRoots`: the pass roots when already known (else each pass is run
 * once to get its root). `keepOnlyLast`: keep only the last pass's states (a daemon holds a view per request until
 * it settles; a game needs one pass), else every pass's.
 */
export function generationView(
  program: Program,
  terms: GenerationTerms,
  requestId: bigint,
  input: Uint8Array,
  output: Uint8Array,
  weights = new WeightsCommitment(program),
  overrides: ReadonlyMap<number, PartyView> = new Map(),
  opts: { passRoots?: readonly string[]; keepOnlyLast?: boolean } = {},
): GenerationView {
  const spec = specOfRequest(input, terms, requestId);
  const generated = decodeResponse(output) ?? new Uint8Array(0);
  const views = new Map<number, PartyView>(overrides);
  let last: { t: number; view: PartyView } | null = null;
  const passView = (t: number): PartyView => {
    const hit = views.get(t) ?? (last?.t === t ? last.view : undefined);
    if (hit) return hit;
    if (spec === null || t >= generated.length) throw new RangeError(`the generation has no pass ${t}`);
    const view = honestView(program, passInput(spec.prompt, generated, t, terms.contextLength, terms.padByte), weights);
    if (opts.keepOnlyLast) last = { t, view };
    else views.set(t, view);
    return view;
  };
  const passRoots = opts.passRoots ?? Array.from(generated, (_, t) => passView(t).trace.traceRoot);
  return { program, weights, input, output, passRoots, passView };
}

/** The first pass where `theirs` (bytes and pass roots) parts from `ours`, or -1 when they agree everywhere. */
export function firstDifferingPass(
  ours: { output: Uint8Array; passRoots: readonly string[] },
  theirs: { output: Uint8Array; passRoots: readonly string[] },
): number {
  const n = Math.min(ours.passRoots.length, theirs.passRoots.length);
  for (let t = 0; t < n; t++) {
    if (ours.output[1 + t] !== theirs.output[1 + t]) return t;
    if (ours.passRoots[t].toLowerCase() !== theirs.passRoots[t].toLowerCase()) return t;
  }
  return ours.passRoots.length === theirs.passRoots.length ? -1 : n;
}

export class GenerationPlayer {
  /** The board the driver reads (game/driver.ts); the moves inside a pass use a board holding the records. */
  readonly board: DisputeBoard;

  constructor(
    readonly side: Role,
    readonly view: GenerationView,
    /** The dispute manager, connected to this party's signer. */
    readonly manager: DisputeManager,
  ) {
    this.board = new DisputeBoard(manager);
  }

  /** The move this party owes in dispute `disputeId` now, or null. */
  async nextMove(disputeId: bigint): Promise<Move | null> {
    const g = await this.board.read(disputeId);
    if (g.stage === null || g.mover !== this.side) return null;
    if (g.stage === "passRoots") {
      const { input, output, passRoots } = this.view;
      return {
        name: `revealPassRoots(${passRoots.length} passes)`,
        send: () => this.manager.revealPassRoots(disputeId, [...passRoots], input, output),
      };
    }
    if (g.stage === "pass") return this.selectPass(disputeId, g);
    const pass = Number((await this.manager.getDispute(disputeId)).pass);
    const view = this.view.passView(pass);
    const board = new DisputeBoard(this.manager, await this.records(g));
    if (g.stage === "locate") {
      const theirs = await board.firstRoots(disputeId, g);
      if (theirs.every((r, i) => r.toLowerCase() === view.trace.stateRoots[i].toLowerCase())) {
        return this.proveChoice(disputeId, pass, view);
      }
    }
    return new Player(this.side, view, board).nextMove(disputeId);
  }

  /** The records a pass's roots are revealed with: the node's own; for the challenger, the node's committed output. */
  private async records(g: BoardState<Role>): Promise<{ input: Uint8Array; output: Uint8Array }> {
    if (this.side === "node") return { input: this.view.input, output: this.view.output };
    return { input: this.view.input, output: await this.committedOutput(g.requestId) };
  }

  /** The response record the node revealed with its pass roots (the committed one). */
  private async committedOutput(requestId: bigint): Promise<Uint8Array> {
    const logs = await this.manager.queryFilter(this.manager.filters.PassRootsRevealed(undefined, requestId));
    if (logs.length === 0) throw new NoMoveError(`no pass roots have been revealed for request ${requestId}`);
    const tx = await logs[logs.length - 1].getTransaction();
    const call = this.manager.interface.parseTransaction({ data: tx.data });
    if (!call || call.name !== "revealPassRoots") throw new NoMoveError("the pass roots were not revealed directly");
    return Uint8Array.from(Buffer.from((call.args[3] as string).slice(2), "hex"));
  }

  private async selectPass(disputeId: bigint, g: BoardState<Role>): Promise<Move> {
    const logs = await this.manager.queryFilter(this.manager.filters.PassRootsRevealed(undefined, g.requestId));
    if (logs.length === 0) throw new NoMoveError(`no pass roots have been revealed for request ${g.requestId}`);
    const nodeRoots = [...logs[logs.length - 1].args.passRoots];
    const nodeOutput = await this.committedOutput(g.requestId);
    const t = firstDifferingPass(this.view, { output: nodeOutput, passRoots: nodeRoots });
    if (t < 0) throw new NoMoveError("we agree with every byte and pass root the node revealed");
    if (t >= nodeRoots.length) throw new NoMoveError(`the node's generation has no pass ${t} to dispute`);
    const proof = MerkleTree.fromLeaves(nodeRoots).proof(t);
    return { name: `selectPass(${t})`, send: () => this.manager.selectPass(disputeId, t, nodeRoots[t], proof) };
  }

  /** Our logits of the pass (the node's too: every root agrees) and their proof as leaf L of the pass root. */
  private proveChoice(disputeId: bigint, pass: number, view: PartyView): Move {
    const { logits, proof } = logitsWitness(view);
    return { name: `proveChoice(pass ${pass})`, send: () => this.manager.proveChoice(disputeId, logits, proof) };
  }
}

/** A pass's logits (its last state) and their proof as leaf L of the pass's trace root: what `proveChoice` takes. */
export function logitsWitness(view: PartyView): { logits: Uint8Array; proof: string[] } {
  const L = view.program.layers.length;
  return { logits: bytesOf(view.states[L]), proof: MerkleTree.fromLeaves([...view.trace.stateRoots]).proof(L) };
}
