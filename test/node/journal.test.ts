import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";

import { spawnSync } from "child_process";

import {
  COMPACT_AFTER_RECORDS,
  Journal,
  JournalCorruptError,
  JournalRefusedError,
  journalPath,
  type ChainIdentity,
  type JournalIO,
} from "../../daemons/kit/journal";

describe("N2: node journal", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-journal-"));
    file = path.join(dir, "node-0xabc", "journal.jsonl");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("replays the announced actions that have no completion, and keeps records across reopenings", () => {
    const j = Journal.open(file);
    j.append({ t: "cursor", block: 12 });
    j.append({ t: "commit", key: "r:1", outputHash: "0x01" });
    j.append({ t: "commit", key: "r:2", outputHash: "0x02" });
    j.complete("r:1");
    j.append({ t: "dispute", key: "d:5", requestId: "2" });
    j.close();

    const k = Journal.open(file);
    expect(k.replay().map((r) => r.key)).to.deep.equal(["r:2", "d:5"]);
    expect(k.last("cursor")).to.deep.equal({ t: "cursor", block: 12 });
    expect(k.isComplete("r:1")).to.equal(true);
    expect(k.isComplete("r:2")).to.equal(false);
    k.close();
  });

  it("writes and fsyncs each record before append returns", () => {
    const calls: string[] = [];
    const io: JournalIO = {
      openSync: (f, flags) => fs.openSync(f, flags),
      writeSync: (fd, data) => {
        calls.push(`write ${data.trim()}`);
        return fs.writeSync(fd, data);
      },
      fsyncSync: (fd) => {
        calls.push("fsync");
        fs.fsyncSync(fd);
      },
      closeSync: (fd) => fs.closeSync(fd),
    };
    const j = Journal.open(file, { io });
    j.append({ t: "commit", key: "r:1" });
    calls.push("action");
    j.complete("r:1");
    expect(calls).to.deep.equal([
      'write {"t":"commit","key":"r:1"}',
      "fsync",
      "action",
      'write {"t":"done","key":"r:1"}',
      "fsync",
    ]);
    // On disk before the action ran: a fresh reader sees it.
    expect(fs.readFileSync(file, "utf8").split("\n")[0]).to.equal('{"t":"commit","key":"r:1"}');
    j.close();
  });

  it("ignores a torn last line with a warning, cuts it off, and appends after it cleanly", () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"t":"commit","key":"r:1"}\n{"t":"commit","ke');
    const warnings: string[] = [];
    const j = Journal.open(file, { warn: (m) => warnings.push(m) });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/torn last line/);
    expect(j.replay().map((r) => r.key)).to.deep.equal(["r:1"]);
    j.append({ t: "commit", key: "r:3" });
    j.close();
    expect(fs.readFileSync(file, "utf8")).to.equal('{"t":"commit","key":"r:1"}\n{"t":"commit","key":"r:3"}\n');
  });

  it("keeps a complete last record that only lacks its newline", () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"t":"commit","key":"r:1"}');
    const j = Journal.open(file);
    j.append({ t: "commit", key: "r:2" });
    j.close();
    expect(
      Journal.open(file)
        .replay()
        .map((r) => r.key),
    ).to.deep.equal(["r:1", "r:2"]);
  });

  it("throws JournalCorruptError, naming the line, for a damaged record that is not the last line", () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"t":"commit","key":"r:1"}\n{"t":"comm\n{"t":"done","key":"r:1"}\n');
    expect(() => Journal.open(file)).to.throw(JournalCorruptError, /line 2/);
    fs.writeFileSync(file, '{"t":"commit","key":"r:1"}\n[1,2]\n');
    expect(() => Journal.open(file)).to.throw(JournalCorruptError, /line 2: not a record/);
    fs.writeFileSync(file, '{"t":"commit","key":7}\n');
    expect(() => Journal.open(file)).to.throw(JournalCorruptError, /line 1/);
  });

  it("compacts to the open actions and the last keyless records, atomically", () => {
    const j = Journal.open(file);
    for (let i = 0; i < 50; i++) {
      j.append({ t: "cursor", block: i });
      j.append({ t: "commit", key: `r:${i}` });
      if (i !== 17) j.complete(`r:${i}`);
    }
    j.compact();
    j.append({ t: "cursor", block: 99 });
    j.close();
    const lines = fs.readFileSync(file, "utf8").trim().split("\n");
    expect(lines).to.have.length(3);
    const k = Journal.open(file);
    expect(k.replay().map((r) => r.key)).to.deep.equal(["r:17"]);
    expect(k.last("cursor")).to.deep.equal({ t: "cursor", block: 99 });
    k.close();
  });

  it("compactIfLarge compacts only past its record limit (COMPACT_AFTER_RECORDS by default)", () => {
    const j = Journal.open(file);
    for (let i = 0; i < 5; i++) j.append({ t: "cursor", block: i });
    j.compactIfLarge(5);
    expect(j.all()).to.have.length(5);
    j.compactIfLarge(4);
    expect(j.all()).to.deep.equal([{ t: "cursor", block: 4 }]);
    j.compactIfLarge();
    expect(j.all()).to.have.length(1);
    expect(COMPACT_AFTER_RECORDS).to.equal(20_000);
    j.close();
  });

  describe("keyed by chain and deployment (N6), locked (N7)", () => {
    const identity: ChainIdentity = {
      chainId: "31337",
      genesis: "0x" + "ab".repeat(32),
      addresses: { inferenceManager: "0x" + "11".repeat(20), disputeManager: "0x" + "22".repeat(20) },
    };

    it("N6 writes the chain record first and reopens on the same chain and deployment", () => {
      const j = Journal.open(file, { identity });
      j.append({ t: "cursor", block: 40 });
      j.close();
      // Hex case does not matter.
      const k = Journal.open(file, { identity: { ...identity, genesis: "0x" + "AB".repeat(32) } });
      expect(k.all()[0]).to.include({ t: "chain", chainId: "31337" });
      expect(k.last("cursor")).to.deep.equal({ t: "cursor", block: 40 });
      k.compact(); // the chain record survives compaction
      expect(k.last("chain")).to.include({ chainId: "31337" });
      k.close();
    });

    it("N6 refuses a journal of another chain id, genesis block or deployment, naming what differs", () => {
      const j = Journal.open(file, { identity });
      j.append({ t: "cursor", block: 40 });
      j.close();
      expect(() => Journal.open(file, { identity: { ...identity, chainId: "1" } })).to.throw(
        JournalRefusedError,
        /another chain or deployment: it has chain id 31337, not 1; refusing to resume its cursor \(block 40\)/,
      );
      expect(() => Journal.open(file, { identity: { ...identity, genesis: "0x" + "cd".repeat(32) } })).to.throw(
        JournalRefusedError,
        /genesis block 0xabab.*another chain with the same id, or a reset one/,
      );
      const other = { ...identity.addresses, disputeManager: "0x" + "33".repeat(20) };
      expect(() => Journal.open(file, { identity: { ...identity, addresses: other }, lock: true })).to.throw(
        JournalRefusedError,
        /disputeManager at 0x2222.*not 0x3333.*another deployment/,
      );
      expect(fs.existsSync(`${file}.lock`), "a refused journal leaves no lock").to.equal(false);
    });

    it("N6 refuses a journal with records but no chain record (written before journals were keyed)", () => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, '{"t":"cursor","block":900}\n');
      expect(() => Journal.open(file, { identity })).to.throw(JournalRefusedError, /no "chain" record/);
    });

    it("N6 the default path is keyed by chain id, genesis and deployment", () => {
      const a = journalPath("0xABC", "/h", "node", identity);
      expect(a).to.match(/^\/h\/node-0xabc\/chain-31337-abababab-[0-9a-f]{8}\/journal\.jsonl$/);
      expect(journalPath("0xABC", "/h", "node", { ...identity, genesis: "0x" + "cd".repeat(32) })).to.not.equal(a);
      const other = { ...identity, addresses: { ...identity.addresses, disputeManager: "0x" + "33".repeat(20) } };
      expect(journalPath("0xABC", "/h", "node", other)).to.not.equal(a);
    });

    it("N7 refuses a second opener while the lock holder lives, and releases the lock on close", () => {
      const j = Journal.open(file, { identity, lock: true });
      expect(JSON.parse(fs.readFileSync(`${file}.lock`, "utf8"))).to.include({ pid: process.pid });
      expect(() => Journal.open(file, { identity, lock: true })).to.throw(
        JournalRefusedError,
        new RegExp(
          `in use by process ${process.pid} \\(lock file '.*journal\\.jsonl\\.lock'\\): another daemon runs on it`,
        ),
      );
      j.close();
      expect(fs.existsSync(`${file}.lock`)).to.equal(false);
      Journal.open(file, { identity, lock: true }).close();
    });

    it("N7 takes over a stale lock whose process is gone, with a warning", () => {
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!; // exited already
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead }) + "\n");
      const warnings: unknown[] = [];
      const j = Journal.open(file, { identity, lock: true, warn: (m, f) => warnings.push({ m, ...f }) });
      expect(warnings).to.deep.equal([
        { m: "journal: taking over a stale lock (its process is gone)", lock: `${file}.lock`, pid: dead },
      ]);
      expect(JSON.parse(fs.readFileSync(`${file}.lock`, "utf8"))).to.include({ pid: process.pid });
      j.close();
    });
  });
});
