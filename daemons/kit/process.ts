/**
 * A daemon as a process (`verity node serve`, `verity challenger run`, the network tool's test nodes): its optional
 * loopback /health and /metrics endpoint (metrics named `verity_<role>_`), ticks until SIGINT/SIGTERM (the current
 * tick finishes and the journal is closed), a second signal exits at once (the journal makes that safe too), and
 * the endpoint closed on the way out.
 */
import { startHealthServer } from "./health";
import type { Service } from "./service";
import type { ServiceState } from "./state";

export interface ServiceProcessOptions {
  /** Milliseconds between ticks. */
  pollMs: number;
  /** Serve /health and /metrics on 127.0.0.1:<port> (0: any free port); none when undefined. */
  healthPort?: number;
  /** Counters added to the daemon's own on /metrics (e.g. a test double's). */
  extraMetrics?: () => Record<string, number>;
}

/** Runs `service` until a stop signal, with its health endpoint when asked, then closes the endpoint. */
export async function runService<S extends ServiceState>(service: Service<S>, o: ServiceProcessOptions): Promise<void> {
  const log = service.log;
  const server =
    o.healthPort !== undefined
      ? await startHealthServer(service.healthSource(o.extraMetrics), o.healthPort, `verity_${service.role}_`)
      : undefined;
  if (server) {
    const addr = server.address();
    log.info("health endpoint listening", {
      url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : o.healthPort}/health`,
    });
  }
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) {
      log.warn("second signal: exiting now (the journal keeps every promise)", { signal: sig });
      process.exit(130);
    }
    log.info("stopping after the current tick", { signal: sig });
    service.stop();
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  try {
    await service.run(o.pollMs);
  } finally {
    server?.close();
  }
}
