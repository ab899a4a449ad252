/**
 * A daemon's crash-safe journal: an append-only file of JSON lines (`.verity/node-<address>/journal.jsonl` for the
 * node daemon, `.verity/challenger-<address>/journal.jsonl` for the challenger).
 *
 * Write-ahead discipline: a record announcing an action (`{"t":"commit","key":"r:7",...}`) is written and fsynced
 * BEFORE the action (the transaction) is attempted, and a completion record (`{"t":"done","key":"r:7"}`) after its
 * confirmation. After a crash, `replay()` gives every announced action without a completion: the daemon reconciles
 * each with the chain (done already, or to be re-sent) instead of guessing.
 *
 * A crash in the middle of `append` can leave a torn last line (no trailing newline, not valid JSON): it is
 * ignored with a warning and cut off, since the action it announced was never attempted (the write precedes the
 * action). Any other unreadable line is a `JournalCorruptError`: the file was damaged by something else, and the
 * daemon refuses to guess what it promised.
 */
import * as fs from "fs";
import * as path from "path";

import { VerityError } from "../../executor/errors";

/** One journal line. `t` is the record type; actions and their completions share a `key`. */
export interface JournalRecord {
  readonly t: string;
  readonly key?: string;
  readonly [field: string]: unknown;
}

/** The daemons compact their journal past this many records (docs/OPERATOR.md). */
export const COMPACT_AFTER_RECORDS = 20_000;

/** A line of the journal (other than a torn last line) is not a JSON record. */
export class JournalCorruptError extends VerityError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(
      `journal '${file}' is corrupt at line ${line}: ${detail}; restore it from a backup, or move it away to start ` +
        `from an empty journal (the daemon then reconciles only what the chain shows)`,
    );
  }
}

/** The file system calls the journal makes, injectable so that tests can observe their order. */
export interface JournalIO {
  openSync(file: string, flags: string): number;
  writeSync(fd: number, data: string): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
}

export interface JournalOptions {
  /** Called with a warning (e.g. a torn last line was dropped). */
  warn?: (msg: string, fields?: Record<string, unknown>) => void;
  io?: JournalIO;
}

/** The record type that completes the action of the same key. */
export const DONE = "done";

export class Journal {
  private fd: number;
  private readonly records: JournalRecord[];
  private readonly io: JournalIO;
  /** Keys with a completion record. */
  private readonly done = new Set<string>();
  /** The latest record of each key without a completion, in announcement order. */
  private readonly open = new Map<string, JournalRecord>();

  private constructor(
    readonly file: string,
    records: JournalRecord[],
    io: JournalIO,
  ) {
    this.records = [];
    for (const r of records) this.index(r);
    this.io = io;
    this.fd = io.openSync(file, "a");
  }

  /** Opens (creating it and its directory if needed) and reads the journal at `file`. */
  static open(file: string, opts: JournalOptions = {}): Journal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const records: JournalRecord[] = [];
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, "utf8");
      const lines = text.split("\n");
      // The text after the last newline: empty for a clean file, a torn write otherwise.
      const tail = lines.pop() ?? "";
      lines.forEach((line, i) => {
        if (line.trim() === "") return;
        records.push(parseRecord(line, file, i + 1));
      });
      if (tail.trim() !== "") {
        let parsed: JournalRecord | null = null;
        try {
          parsed = parseRecord(tail, file, lines.length + 1);
        } catch {
          parsed = null;
        }
        if (parsed) {
          // Every byte made it but the newline: the record stands; finish its line.
          records.push(parsed);
          fs.appendFileSync(file, "\n");
        } else {
          opts.warn?.("journal: ignoring a torn last line (a crash during a write)", {
            file,
            line: lines.length + 1,
            bytes: Buffer.byteLength(tail),
          });
          fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(tail));
        }
      }
    }
    return new Journal(file, records, opts.io ?? fs);
  }

  /** Appends `record` and fsyncs it; only then returns. */
  append(record: JournalRecord): void {
    const line = JSON.stringify(record) + "\n";
    this.io.writeSync(this.fd, line);
    this.io.fsyncSync(this.fd);
    this.index(record);
  }

  private index(r: JournalRecord): void {
    this.records.push(r);
    if (r.key === undefined) return;
    if (r.t === DONE) {
      this.done.add(r.key);
      this.open.delete(r.key);
    } else if (!this.done.has(r.key)) {
      this.open.delete(r.key);
      this.open.set(r.key, r);
    }
  }

  /** Records that the action `key` is complete (confirmed on-chain, or found unnecessary). */
  complete(key: string, fields: Record<string, unknown> = {}): void {
    this.append({ ...fields, t: DONE, key });
  }

  /** Every record, in order. */
  all(): readonly JournalRecord[] {
    return this.records;
  }

  /** The last record of type `t`, if any. */
  last(t: string): JournalRecord | undefined {
    for (let i = this.records.length - 1; i >= 0; i--) if (this.records[i].t === t) return this.records[i];
    return undefined;
  }

  /** True once `key` has a completion record. */
  isComplete(key: string): boolean {
    return this.done.has(key);
  }

  /** True while `key` has been announced and not completed. */
  isOpen(key: string): boolean {
    return this.open.has(key);
  }

  /** True once `key` has been announced (open or complete). */
  has(key: string): boolean {
    return this.done.has(key) || this.open.has(key);
  }

  /**
   * The announced actions without a completion, in the order they were announced (the latest record per key).
   * These are the promises a restarted daemon must reconcile with the chain.
   */
  replay(): JournalRecord[] {
    return [...this.open.values()];
  }

  /**
   * Rewrites the file with only what a restart needs (the open actions and the last record of each keyless type),
   * atomically (write a temporary file, fsync, rename). Keeps the journal small on a long-running node.
   */
  compact(): void {
    const keep: JournalRecord[] = [];
    const lastKeyless = new Map<string, JournalRecord>();
    for (const r of this.records) if (r.key === undefined) lastKeyless.set(r.t, r);
    keep.push(...lastKeyless.values(), ...this.replay());
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, "w");
    fs.writeSync(fd, keep.map((r) => JSON.stringify(r) + "\n").join(""));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    this.io.closeSync(this.fd);
    fs.renameSync(tmp, this.file);
    this.fd = this.io.openSync(this.file, "a");
    this.records.length = 0;
    this.done.clear();
    this.open.clear();
    for (const r of keep) this.index(r);
  }

  /** `compact()` once the journal holds more than `maxRecords` records (the daemons call this every tick). */
  compactIfLarge(maxRecords = COMPACT_AFTER_RECORDS): void {
    if (this.records.length > maxRecords) this.compact();
  }

  close(): void {
    this.io.closeSync(this.fd);
  }
}

function parseRecord(line: string, file: string, lineNo: number): JournalRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new JournalCorruptError(file, lineNo, `not JSON (${(e as Error).message})`);
  }
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as JournalRecord).t !== "string"
  ) {
    throw new JournalCorruptError(file, lineNo, 'not a record (an object with a string field "t")');
  }
  const key = (value as JournalRecord).key;
  if (key !== undefined && typeof key !== "string")
    throw new JournalCorruptError(file, lineNo, '"key" is not a string');
  return value as JournalRecord;
}

/** The default journal path of the `role` daemon (node, challenger) of `address` under `root` (default `.verity`). */
export function journalPath(address: string, root = ".verity", role = "node"): string {
  return path.join(root, `${role}-${address.toLowerCase()}`, "journal.jsonl");
}
