/**
 * One sender per key at a time, across `verity` processes: a lock file per (chain, address) under
 * `$VERITY_HOME/locks/`, held from reading the account's pending nonce until the node has accepted the transaction.
 * Two commands run at once from one key then take consecutive nonces instead of the same one (which the node
 * refuses as `replacement fee too low` or `nonce too low`). A lock left by a process that died is taken over.
 * The daemons (`verity node serve`, `verity challenger run`) keep their own nonces and do not take the lock: do not
 * send from a running daemon's key with other commands (docs/CLI.md).
 */
import * as fs from "fs";
import * as path from "path";

import { CliError } from "./errors";

/** How long a command waits for another one holding the key's lock. */
const WAIT_MS = 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The lock file of `address` on chain `chainId` under `home`. */
export function keyLockFile(home: string, chainId: bigint, address: string): string {
  return path.join(home, "locks", `${chainId}-${address.toLowerCase()}.lock`);
}

/** Takes the lock (waiting while a live process holds it), runs `work`, releases the lock. */
export async function withKeyLock<T>(file: string, work: () => Promise<T>, waitMs = WAIT_MS): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const started = Date.now();
  for (;;) {
    try {
      const fd = fs.openSync(file, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: number;
      try {
        holder = Number(fs.readFileSync(file, "utf8").trim());
      } catch {
        continue; // released in between: try again
      }
      if (!(holder > 0) || !alive(holder)) {
        // A lock left by a crashed process (or one caught between creating and writing it): take it over.
        if (!(holder > 0) && Date.now() - started < 1000) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() - started > waitMs) {
        throw new CliError(
          `another verity command (pid ${holder}) has been sending from this key for over ${waitMs / 1000} s`,
          `wait for it to finish, or remove ${file} if that process is not a verity command`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(file, { force: true });
  }
}
