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
 *
 * Keyed by chain: the first record of a journal is a keyless "chain" record (chain id, genesis block hash, the
 * deployment's contract addresses). A journal opened with an identity that differs (another chain, a chain reset,
 * another deployment) is refused with a `JournalRefusedError` naming both, instead of resuming a cursor that means
 * nothing on the new chain; so is a journal with records but no "chain" record (written before journals were keyed).
 *
 * Locked: while open, `<file>.lock` holds the owner's pid. A second daemon on the same journal is refused; a lock
 * whose process is gone (a crash, kill -9) is taken over with a warning.
 */
import * as fs from "fs";
import * as path from "path";

import { keccak256, toUtf8Bytes } from "ethers";

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

/** The journal cannot be used by this daemon: written against another chain or deployment, or locked. */
export class JournalRefusedError extends VerityError {}

/** What a journal is keyed by: the chain (id, genesis block hash) and the deployment (contract addresses). */
export interface ChainIdentity {
  readonly chainId: string;
  readonly genesis: string;
  /** Contract name → address, as the daemon was configured (compared case-insensitively). */
  readonly addresses: Readonly<Record<string, string>>;
}

/** The identity as a "chain" record (addresses lowercased, in name order). */
function identityRecord(id: ChainIdentity): JournalRecord {
  const addresses: Record<string, string> = {};
  for (const name of Object.keys(id.addresses).sort()) addresses[name] = id.addresses[name].toLowerCase();
  return { t: "chain", chainId: id.chainId, genesis: id.genesis.toLowerCase(), addresses };
}

/** What differs between the journal's "chain" record and the daemon's identity, or null when they agree. */
function identityMismatch(record: JournalRecord, id: ChainIdentity): string | null {
  const want = identityRecord(id);
  if (String(record.chainId) !== want.chainId) return `chain id ${String(record.chainId)}, not ${want.chainId}`;
  if (String(record.genesis).toLowerCase() !== want.genesis)
    return `genesis block ${String(record.genesis)}, not ${want.genesis} (another chain with the same id, or a reset one)`;
  const had = (record.addresses ?? {}) as Record<string, string>;
  const now = want.addresses as Record<string, string>;
  for (const name of new Set([...Object.keys(had), ...Object.keys(now)])) {
    if ((had[name] ?? "").toLowerCase() !== (now[name] ?? ""))
      return `${name} at ${had[name] ?? "(none)"}, not ${now[name] ?? "(none)"} (another deployment)`;
  }
  return null;
}

/** True while a process with this pid exists (EPERM: it exists, under another user). */
function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<file>.lock` for this process: refused while another live process holds it, taken over from a dead one.
 * Returns the lock file's path.
 */
function acquireLock(file: string, warn?: JournalOptions["warn"]): string {
  const lock = `${file}.lock`;
  const mine = JSON.stringify({ pid: process.pid, since: new Date().toISOString() }) + "\n";
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lock, mine, { flag: "wx" });
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let pid = NaN;
    try {
      pid = Number((JSON.parse(fs.readFileSync(lock, "utf8")) as { pid?: unknown }).pid);
    } catch {
      // unreadable: a crash while writing it; treated as stale
    }
    if (processAlive(pid)) {
      throw new JournalRefusedError(
        `journal '${file}' is in use by process ${pid} (lock file '${lock}'): another daemon runs on it; stop it ` +
          `first, or give this one its own --journal`,
      );
    }
    warn?.("journal: taking over a stale lock (its process is gone)", { lock, pid: Number.isNaN(pid) ? null : pid });
    fs.rmSync(lock, { force: true });
  }
  throw new JournalRefusedError(`journal '${file}': cannot take its lock file '${lock}'`);
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
  /** The chain and deployment the journal must belong to (written into a new journal). */
  identity?: ChainIdentity;
  /** Take `<file>.lock` while open (default false; the daemons always lock). */
  lock?: boolean;
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
    private readonly lockFile: string | null,
  ) {
    this.records = [];
    for (const r of records) this.index(r);
    this.io = io;
    this.fd = io.openSync(file, "a");
  }

  /**
   * Opens (creating it and its directory if needed) and reads the journal at `file`: locked if asked, checked
   * against `opts.identity` if given (a new journal gets the "chain" record first).
   */
  static open(file: string, opts: JournalOptions = {}): Journal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = opts.lock ? acquireLock(file, opts.warn) : null;
    let journal: Journal;
    try {
      journal = Journal.read(file, opts, lock);
      if (opts.identity) journal.checkIdentity(opts.identity);
    } catch (e) {
      if (lock) fs.rmSync(lock, { force: true });
      throw e;
    }
    return journal;
  }

  private checkIdentity(id: ChainIdentity): void {
    const record = this.last("chain");
    if (record === undefined) {
      if (this.records.length > 0) {
        this.io.closeSync(this.fd);
        throw new JournalRefusedError(
          `journal '${this.file}' has ${this.records.length} records but no "chain" record (it predates journals ` +
            `keyed by chain), so which chain its cursor counts blocks of is unknown; move it away to start afresh ` +
            `(the daemon then reconciles what the chain shows), or give --journal another file`,
        );
      }
      this.append(identityRecord(id));
      return;
    }
    const mismatch = identityMismatch(record, id);
    if (mismatch !== null) {
      this.io.closeSync(this.fd);
      throw new JournalRefusedError(
        `journal '${this.file}' belongs to another chain or deployment: it has ${mismatch}; refusing to resume its ` +
          `cursor (block ${String(this.last("cursor")?.block ?? "none")}) here. Give --journal a file for this ` +
          `chain (the default path is keyed by chain), or move this one away`,
      );
    }
  }

  private static read(file: string, opts: JournalOptions, lock: string | null): Journal {
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
    return new Journal(file, records, opts.io ?? fs, lock);
  }

  /** Appends `record` and fsyncs it; only then returns. */
  append(record: JournalRecord): void {
    this.appendAll([record]);
  }

  /**
   * Appends `records` in one write and one fsync (hundreds of requests taken in at once cost one disk flush, not
   * hundreds); only then returns. A crash mid-write leaves a prefix of them, the last line possibly torn.
   */
  appendAll(records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    this.io.writeSync(this.fd, records.map((r) => JSON.stringify(r) + "\n").join(""));
    this.io.fsyncSync(this.fd);
    for (const r of records) this.index(r);
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

  /** Records that each action of `keys` is complete, in one write and one fsync. */
  completeAll(keys: readonly string[], fields: Record<string, unknown> = {}): void {
    this.appendAll(keys.map((key) => ({ ...fields, t: DONE, key })));
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

  /** Closes the file and releases the lock (if this process still holds it). */
  close(): void {
    this.io.closeSync(this.fd);
    if (this.lockFile) {
      try {
        const held = JSON.parse(fs.readFileSync(this.lockFile, "utf8")) as { pid?: unknown };
        if (held.pid === process.pid) fs.rmSync(this.lockFile, { force: true });
      } catch {
        // gone already
      }
    }
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

/**
 * The default journal path of the `role` daemon (node, challenger) of `address` under `root` (default `.verity`):
 * `<root>/<role>-<address>/journal.jsonl`, or with the chain's identity
 * `<root>/<role>-<address>/chain-<chainId>-<genesis, 8 hex>-<deployment, 8 hex>/journal.jsonl`, so that each chain
 * and deployment gets its own journal (two local chains share chain id 31337, but not their genesis block).
 */
export function journalPath(address: string, root = ".verity", role = "node", identity?: ChainIdentity): string {
  const dir = path.join(root, `${role}-${address.toLowerCase()}`);
  if (!identity) return path.join(dir, "journal.jsonl");
  const deployment = keccak256(toUtf8Bytes(JSON.stringify(identityRecord(identity).addresses))).slice(2, 10);
  const key = `chain-${identity.chainId}-${identity.genesis.toLowerCase().replace(/^0x/, "").slice(0, 8)}-${deployment}`;
  return path.join(dir, key, "journal.jsonl");
}
