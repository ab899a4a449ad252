/**
 * A test double of a dishonest node: a `viewProvider` for the node daemon (daemons/node/options.ts) that tampers
 * with a deterministic fraction of its requests, for the daemon suites, and for `npm run network`'s cheating node
 * (tools/network/cheating-node.ts). No product code knows about it: the daemon only ever asks its view provider for
 * the view it commits and defends.
 *
 * Deterministic by seed and request id, so that a restarted node commits and defends the same wrong result:
 * - a request is picked iff `pickedByHash(seed, requestId, fraction)` (daemons/kit/common.ts);
 * - an InferenceManager request is tampered at step `1 + h mod L`, byte `(h >> 64) mod |S_step|`, by
 *   `1 + (h >> 128) mod 100`, with h = keccak256(abi.encode(seed, requestId, "where")), the later states recomputed;
 * - a RedundantManager request likewise with "redundant" in place of "where", and also at the output (step L, byte
 *   `(h >> 96) mod |S_L|`, by 64) when the first lie is before it: the demo models end in a saturating Softmax, so an
 *   early lie alone seldom changes the output, and a redundant lie that does not change the output is never played
 *   out.
 * Each tampered request is counted once (`cheated`) and logged once, as a `CHEAT:` warning, to the logger given.
 */
import { AbiCoder, keccak256 } from "ethers";

import { honestView, type PartyView } from "../../game/view";
import { tamperedView } from "./tamper";
import { pickedByHash } from "../../daemons/kit/common";
import type { Logger } from "../../daemons/kit/log";
import type { ViewProvider, ViewRequest } from "../../daemons/node/options";

/** Which requests to tamper with: a fraction in [0, 1], picked by hash of the seed and the request id. */
export interface TamperSetting {
  fraction: number;
  seed: string;
}

export class TamperingNode {
  /** Keys (`<kind>:<requestId>`) of the requests whose view was tampered with. */
  private readonly tampered = new Set<string>();

  /** The view provider to give the node daemon (`NodeDaemonOptions.viewProvider`). */
  readonly viewProvider: ViewProvider = (request) => this.viewOf(request);

  constructor(
    readonly setting: TamperSetting,
    private readonly log?: Logger,
  ) {
    const { fraction } = setting;
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`cheat fraction ${fraction} is not in [0, 1]`);
  }

  /** Requests tampered with so far (each counted once, whatever its manager). */
  get cheated(): number {
    return this.tampered.size;
  }

  /** True when the node lies about request `requestId` (of either manager). */
  picks(requestId: bigint): boolean {
    return pickedByHash(this.setting.seed, requestId, this.setting.fraction);
  }

  private viewOf(request: ViewRequest): PartyView {
    const { kind, requestId, program, weights, s0 } = request;
    const honest = honestView(program, s0, weights);
    if (!this.picks(requestId)) return honest;
    const salt = kind === "redundant" ? "redundant" : "where";
    const h = BigInt(
      keccak256(
        AbiCoder.defaultAbiCoder().encode(["string", "uint256", "string"], [this.setting.seed, requestId, salt]),
      ),
    );
    const L = program.layers.length;
    const step = 1 + Number(h % BigInt(L));
    const byteIndex = Number((h >> 64n) % BigInt(honest.states[step].length));
    let view = tamperedView(honest, step, byteIndex, { delta: 1 + Number((h >> 128n) % 100n) });
    if (kind === "redundant" && step !== L) {
      const outByte = Number((h >> 96n) % BigInt(view.states[L].length));
      view = tamperedView(view, L, outByte, { delta: 64 });
    }
    const key = `${kind}:${requestId}`;
    if (!this.tampered.has(key)) {
      this.tampered.add(key);
      this.log?.warn(
        kind === "redundant" ? "CHEAT: tampered with a redundant result" : "CHEAT: tampered with a result",
        {
          requestId,
          step,
          byte: byteIndex,
        },
      );
    }
    return view;
  }
}

/** A view provider that tampers with the `setting.fraction` of requests its seed picks (see `TamperingNode`). */
export function tamperingViews(setting: TamperSetting, log?: Logger): ViewProvider {
  return new TamperingNode(setting, log).viewProvider;
}
