/**
 * What `verity node serve` and `verity challenger run` share around their daemons: integer options checked before
 * anything connects, the connection (waiting with backoff while the RPC endpoint is down at start-up, as a running
 * daemon does), and the process's life (daemons/kit/process.ts: the optional loopback health endpoint, ticks
 * until SIGINT/SIGTERM, a second signal exits at once), with the RPC connection closed on the way out.
 */
import type { JsonRpcProvider } from "ethers";

import { createLogger, type Logger } from "../daemons/kit/log";
import { sleep } from "../daemons/kit/rpc";
import { connect, type Protocol } from "./chain";
import type { GlobalOptions } from "./config";

import { runService, type ServiceProcessOptions } from "../daemons/kit/process";
import type { Service } from "../daemons/kit/service";
import type { ServiceState } from "../daemons/kit/state";
import { ChainUnreachableError, CliError } from "./errors";

/** `text` as an integer >= `min`, or a CliError naming the option `what`. */
export function intOption(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`${what} '${text}' is not an integer >= ${min}`, `e.g. ${what} ${Math.max(min, 1)}`);
  return n;
}

export interface DaemonProcessOptions extends ServiceProcessOptions {
  provider: JsonRpcProvider;
}

/** Runs `daemon` until a stop signal, with its health endpoint when asked, then closes the endpoint and provider. */
export async function runDaemonProcess<S extends ServiceState>(
  daemon: Service<S>,
  o: DaemonProcessOptions,
): Promise<void> {
  try {
    await runService(daemon, o);
  } finally {
    o.provider.destroy();
  }
}

/** Longest wait between two connection attempts at start-up (ms). */
const CONNECT_MAX_BACKOFF_MS = 30_000;

/**
 * Connects as a daemon: while no JSON-RPC node answers, logs a warning and tries again with backoff (1 s doubling
 * up to 30 s) instead of exiting; anything else (no deployment, bad key) fails at once.
 */
export async function connectDaemon(
  globals: GlobalOptions,
  log: Logger = createLogger(),
  firstBackoffMs = 1_000,
): Promise<Protocol> {
  let backoff = firstBackoffMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(globals, { needKey: true });
    } catch (e) {
      if (!(e instanceof ChainUnreachableError)) throw e;
      log.warn("the RPC endpoint does not answer; waiting for it", {
        error: e.message,
        attempt,
        retryInMs: backoff,
      });
      await sleep(backoff);
      backoff = Math.min(backoff * 2, CONNECT_MAX_BACKOFF_MS);
    }
  }
}
