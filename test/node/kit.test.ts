/**
 * The daemon kit's small helpers that shape what an operator reads: decoded reverts with protocol enums by name,
 * harmless races told apart from failures, token amounts in tokens, and pretty log lines that print objects; and the
 * daemons' fast paths checked against ethers: the InferenceRequested decoder, the commitBatch encoder, the fetch
 * transport's answers and failures.
 */
import { expect } from "chai";

import * as http from "http";
import type { AddressInfo } from "net";
import { hexlify, Interface, randomBytes, ZeroAddress, ZeroHash, type ErrorFragment } from "ethers";

import { DisputeManager__factory, InferenceManager__factory, RedundantManager__factory } from "../../typechain-types";
import { errorMessage, InjectedCrash, isHarmlessRace, RACE_ERRORS, reportFailure } from "../../daemons/kit/common";
import { decodeInferenceRequested } from "../../daemons/kit/events";
import { ClockWatch } from "../../daemons/kit/clock";
import { createLogger, tokens } from "../../daemons/kit/log";
import { FetchJsonRpcProvider } from "../../daemons/kit/provider";
import { isTransient } from "../../daemons/kit/rpc";
import { decodeCommitBatch, encodeCommitBatch } from "../../daemons/kit/calldata";

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
    expect(isHarmlessRace(revert("BisectionGameAlreadyResolved", [1n]))).to.equal(true);
    // Both nodes of a refereed game may prove; the second proof finds the game resolved (or the phase moved on).
    expect(isHarmlessRace(revert("BisectionGameWrongPhase", [1n, 13n, 8n]))).to.equal(true);
    expect(isHarmlessRace(new Error('reverted with custom error "InferenceManagerBatchNotCommitted(2, 2)"'))).to.equal(
      true,
    );
    expect(isHarmlessRace(revert("InferenceManagerWindowClosed", [7n, 100n]))).to.equal(false);
    expect(isHarmlessRace(new Error("connect ECONNREFUSED"))).to.equal(false);
  });

  it("names only errors the contracts have: every harmless race is an error of a game or request manager's ABI", () => {
    const abis = [InferenceManager__factory, DisputeManager__factory, RedundantManager__factory].map(
      (f) =>
        new Set(new Interface(f.abi).fragments.filter((x) => x.type === "error").map((x) => (x as ErrorFragment).name)),
    );
    for (const name of RACE_ERRORS)
      expect(
        abis.some((errors) => errors.has(name)),
        name,
      ).to.equal(true);
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

  it("writes and reads commitBatch calldata as ethers does, and refuses anything else", () => {
    const iface = InferenceManager__factory.createInterface();
    for (const n of [0, 1, 3, 200]) {
      const ids = Array.from({ length: n }, (_, i) => BigInt(i + 1) * 2n ** BigInt(i % 250));
      const hashes = ids.map(() => hexlify(randomBytes(32)));
      const roots = ids.map(() => hexlify(randomBytes(32)).toUpperCase().replace("0X", "0x"));
      const data = iface.encodeFunctionData("commitBatch", [ids, hashes, roots]);
      expect(encodeCommitBatch(ids, hashes, roots)).to.equal(data);
      expect(decodeCommitBatch(data)).to.deep.equal({
        ids,
        outputHashes: hashes,
        traceRoots: roots.map((r) => r.toLowerCase()),
      });
    }
    expect(() => encodeCommitBatch([1n], [], [])).to.throw(RangeError, /unequal length/);
    expect(() => encodeCommitBatch([-1n], [ZeroHash], [ZeroHash])).to.throw(RangeError, /not a uint256/);
    expect(() => encodeCommitBatch([1n], ["0x12"], [ZeroHash])).to.throw(RangeError, /not a bytes32/);
    expect(() => decodeCommitBatch(iface.encodeFunctionData("claim", [1n]))).to.throw(RangeError, /selector/);
    const one = encodeCommitBatch([1n], [ZeroHash], [ZeroHash]);
    expect(() => decodeCommitBatch(one.slice(0, -64))).to.throw(RangeError, /too short/);
  });

  it("reports a failed action: a harmless race as INFO with its reason, anything else as ERROR, a fatal error rethrown", () => {
    const lines: { level: string; msg: string; gameId: string; reason?: string; error?: string }[] = [];
    const log = createLogger({ write: (l) => lines.push(JSON.parse(l)) });
    const how = { race: "moved on (a harmless race)", failure: "move failed; will retry" };
    reportFailure(log, revert("BisectionGameAlreadyResolved", [3n]), how, { gameId: 3n });
    reportFailure(log, revert("InferenceManagerFeeTooLow", [1n, 2n]), how, { gameId: 3n });
    expect(lines).to.deep.equal([
      { ...lines[0], level: "info", msg: how.race, gameId: "3", reason: "BisectionGameAlreadyResolved(3)" },
      { ...lines[1], level: "error", msg: how.failure, gameId: "3", error: "InferenceManagerFeeTooLow(1, 2)" },
    ]);
    expect(lines[0]).to.not.have.property("error");
    expect(() => reportFailure(log, new InjectedCrash("crash"), how, {})).to.throw(InjectedCrash);
    expect(lines).to.have.length(2);
  });

  it("warns once when the chain's clock stands still while something waits on it (an automine chain), with the remedy", () => {
    const lines: string[] = [];
    let wall = 0;
    const watch = new ClockWatch(createLogger({ write: (l) => lines.push(l) }), 60_000, () => wall);
    expect(watch.observe(100n, "1 settlement(s)")).to.equal(false);
    wall = 59_999;
    expect(watch.observe(100n, "1 settlement(s)")).to.equal(false);
    wall = 60_000;
    // Nothing waits: a still clock harms no one.
    expect(watch.observe(100n, null)).to.equal(false);
    expect(watch.observe(100n, "1 settlement(s)")).to.equal(true);
    expect(lines).to.have.length(1);
    const line = JSON.parse(lines[0]);
    expect(line.level).to.equal("warn");
    expect(line.msg)
      .to.match(/automine/)
      .and.match(/--block-time 1/);
    expect(line).to.include({ waitingFor: "1 settlement(s)", blockTimestamp: "100", stalledSeconds: 60 });
    // Once per stall.
    wall = 500_000;
    expect(watch.observe(100n, "1 settlement(s)")).to.equal(false);
    // The clock moves (a block), then stalls anew: a new warning after a full stall.
    expect(watch.observe(101n, "1 settlement(s)")).to.equal(false);
    wall = 559_999;
    expect(watch.observe(101n, "1 settlement(s)")).to.equal(false);
    wall = 560_000;
    expect(watch.observe(101n, "2 settlement(s)")).to.equal(true);
    expect(lines).to.have.length(2);
  });
});

describe("daemon kit: the fetch transport", () => {
  async function server(reply: (body: string, res: http.ServerResponse) => void) {
    const s = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => reply(body, res));
    });
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    return { s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  }
  const provider = (url: string) => new FetchJsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 1 });

  it("answers as ethers' own transport, credentials in the URL sent as basic authorization", async () => {
    let auth: string | undefined;
    const { s, url } = await server((body, res) => {
      const req = JSON.parse(body) as { id: number; method: string };
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ jsonrpc: "2.0", id: req.id, result: req.method === "eth_blockNumber" ? "0x2a" : null }));
    });
    s.on("request", (req: http.IncomingMessage) => (auth = req.headers.authorization));
    try {
      const p = provider(url.replace("http://", "http://user:p%40ss@"));
      expect(await p.getBlockNumber()).to.equal(42);
      expect(auth).to.equal(`Basic ${Buffer.from("user:p@ss").toString("base64")}`);
      p.destroy();
    } finally {
      s.close();
    }
  });

  it("fails as the daemons' retry rules expect: an HTTP 503 and a refused connection are transient", async () => {
    const { s, url } = await server((_, res) => {
      res.statusCode = 503;
      res.end("busy");
    });
    const p = provider(url);
    try {
      const busy = await p.send("eth_blockNumber", []).then(
        () => null,
        (e: unknown) => e,
      );
      expect((busy as { code?: string }).code).to.equal("SERVER_ERROR");
      expect(isTransient(busy)).to.equal(true);
    } finally {
      s.close();
      p.destroy();
    }
    const gone = await server(() => undefined);
    await new Promise((resolve) => gone.s.close(resolve));
    const q = provider(gone.url);
    const refused = await q.send("eth_blockNumber", []).then(
      () => null,
      (e: unknown) => e,
    );
    expect((refused as { code?: string }).code).to.equal("ECONNREFUSED");
    expect(isTransient(refused)).to.equal(true);
    q.destroy();
  });
});
