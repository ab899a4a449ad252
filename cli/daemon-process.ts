/**
 * What `verity node serve` and `verity challenger run` share around their daemons: integer options checked before
 * anything connects, and the process's life (daemons/kit/process.ts: the optional loopback health endpoint, ticks
 * until SIGINT/SIGTERM, a second signal exits at once), with the RPC connection closed on the way out.
 */
import type { JsonRpcProvider } from "ethers";

import { runService, type ServiceProcessOptions } from "../daemons/kit/process";
import type { Service } from "../daemons/kit/service";
import type { ServiceState } from "../daemons/kit/state";
import { CliError } from "./errors";

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
