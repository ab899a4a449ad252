/**
 * What `verity node serve` and `verity challenger run` share around their daemons: integer options checked before
 * anything connects, the optional loopback health endpoint, and the process's life: run ticks until SIGINT/SIGTERM
 * (the current tick finishes and the journal is closed), a second signal exits at once (the journal makes that safe
 * too), and the endpoint and the RPC connection are closed on the way out.
 */
import type { JsonRpcProvider } from "ethers";

import { startHealthServer, type HealthSource } from "../daemons/kit/health";
import type { Logger } from "../daemons/kit/log";
import { CliError } from "./errors";

/** `text` as an integer >= `min`, or a CliError naming the option `what`. */
export function intOption(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`${what} '${text}' is not an integer >= ${min}`, `e.g. ${what} ${Math.max(min, 1)}`);
  return n;
}

/** A daemon as the process runs it: ticks until `stop()`, and reports health and metrics. */
export interface RunnableDaemon {
  run(pollMs: number): Promise<void>;
  stop(): void;
  health(): ReturnType<HealthSource["health"]>;
  readonly metrics: object;
}

export interface DaemonProcessOptions {
  log: Logger;
  provider: JsonRpcProvider;
  pollMs: number;
  /** Serve /health and /metrics on 127.0.0.1:<port> (0: any free port); none when undefined. */
  healthPort?: number;
  /** The metrics' name prefix: `verity_node_` or `verity_challenger_`. */
  metricsPrefix: string;
}

/** Runs `daemon` until a stop signal, with its health endpoint when asked, then closes the endpoint and provider. */
export async function runDaemonProcess(daemon: RunnableDaemon, o: DaemonProcessOptions): Promise<void> {
  const server =
    o.healthPort !== undefined
      ? await startHealthServer(
          { health: () => daemon.health(), metrics: () => ({ ...daemon.metrics }) as Record<string, number> },
          o.healthPort,
          o.metricsPrefix,
        )
      : undefined;
  if (server) {
    const addr = server.address();
    o.log.info("health endpoint listening", {
      url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : o.healthPort}/health`,
    });
  }
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      o.log.warn("second signal: exiting now (the journal keeps every promise)", { signal: sig });
      process.exit(130);
    }
    o.log.info("stopping after the current tick", { signal: sig });
    daemon.stop();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  try {
    await daemon.run(o.pollMs);
  } finally {
    server?.close();
    o.provider.destroy();
  }
}
