/**
 * The daemon kit's small helpers that shape what an operator reads: decoded reverts with protocol enums by name,
 * harmless races told apart from failures, token amounts in tokens, and pretty log lines that print objects.
 */
import { expect } from "chai";

import { hexlify, randomBytes, ZeroAddress } from "ethers";

import { InferenceManager__factory } from "../../typechain-types";
import { errorMessage, isHarmlessRace } from "../../daemons/kit/common";
import { decodeInferenceRequested } from "../../daemons/kit/events";
import { createLogger, tokens } from "../../daemons/kit/log";

const revert = (name: string, args: unknown[]) => ({ revert: { name, args }, message: "execution reverted" });

describe("daemon kit: what the logs say", () => {
  it("names protocol enums in decoded reverts", () => {
    expect(errorMessage(revert("InferenceManagerInvalidStatus", [7n, 5n]))).to.equal(
      "InferenceManagerInvalidStatus(7, Finalized)",
    );
    expect(errorMessage(revert("DisputeManagerWrongPhase", [3n, 1n, 4n]))).to.match(
      /^DisputeManagerWrongPhase\(3, \w+, \w+\)$/,
    );
    expect(errorMessage(revert("InferenceManagerFeeTooLow", [1n, 2n]))).to.equal("InferenceManagerFeeTooLow(1, 2)");
    expect(errorMessage({ shortMessage: "could not coalesce error" })).to.equal("could not coalesce error");
  });

  it("tells a harmless race (someone else acted first) from a failure", () => {
    expect(isHarmlessRace(revert("InferenceManagerInvalidStatus", [7n, 5n]))).to.equal(true);
    expect(isHarmlessRace(revert("DisputeManagerAlreadyResolved", [1n]))).to.equal(true);
    expect(isHarmlessRace(new Error('reverted with custom error "InferenceManagerBatchNotCommitted(2, 2)"'))).to.equal(
      true,
    );
    expect(isHarmlessRace(revert("InferenceManagerWindowClosed", [7n, 100n]))).to.equal(false);
    expect(isHarmlessRace(new Error("connect ECONNREFUSED"))).to.equal(false);
  });

  it("writes amounts in tokens", () => {
    expect(tokens(10n ** 16n)).to.equal("0.01 VRT");
    expect(tokens(0n)).to.equal("0.0 VRT");
  });

  it("prints objects and arrays on pretty lines as JSON, never [object Object]", () => {
    const lines: string[] = [];
    const log = createLogger({ pretty: true, write: (l) => lines.push(l) });
    log.warn("dispute skipped", {
      requestId: 7n,
      leaf: { index: 2, root: "0xab" },
      ids: [1n, 2n],
      err: new Error("boom"),
    });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.not.include("[object Object]");
    expect(lines[0]).to.match(
      /WARN {2}dispute skipped {2}requestId=7 leaf={"index":2,"root":"0xab"} ids=\["1","2"\] err=boom$/,
    );
  });

  it("decodes InferenceRequested as ethers does, and refuses any other log", () => {
    const iface = InferenceManager__factory.createInterface();
    const ev = iface.getEvent("InferenceRequested");
    for (const [node, length] of [
      ["0x" + "ab".repeat(20), 784],
      [ZeroAddress, 1],
      ["0x" + "22".repeat(20), 0],
    ] as const) {
      const input = hexlify(randomBytes(length));
      const args = [7n, 2n ** 200n, "0x" + "11".repeat(20), node, 10n ** 16n, 4, input] as const;
      const log = iface.encodeEventLog(ev, [...args]);
      const parsed = iface.parseLog(log)!.args;
      expect(decodeInferenceRequested(log)).to.deep.equal({
        requestId: parsed.requestId,
        versionId: parsed.versionId,
        requester: (parsed.requester as string).toLowerCase(),
        node: (parsed.node as string).toLowerCase(),
        fee: parsed.fee,
        mode: Number(parsed.mode),
        input: (parsed.input as string).toLowerCase(),
      });
    }
    const other = iface.encodeEventLog(iface.getEvent("RequestRefunded"), [1n, "0x" + "11".repeat(20), 5n]);
    expect(() => decodeInferenceRequested(other)).to.throw(/not an InferenceRequested log \(topics\)/);
    const ok = iface.encodeEventLog(ev, [1n, 1n, ZeroAddress, ZeroAddress, 1n, 1, "0x0102"]);
    expect(() => decodeInferenceRequested({ ...ok, data: ok.data.slice(0, -64) })).to.throw(/input length|data/);
  });
});
