import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";

import { COMPACT_AFTER_RECORDS, Journal, JournalCorruptError, type JournalIO } from "../../daemons/kit/journal";

describe("node journal", () => {
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
});
