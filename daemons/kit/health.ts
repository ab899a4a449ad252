/**
 * The daemon's optional loopback endpoint: `GET /health` (JSON: ok, last tick, last block) and `GET /metrics`
 * (counters in the Prometheus text format). Bound to 127.0.0.1 only.
 */
import * as http from "http";

export interface HealthSource {
  health(): Record<string, unknown> & { ok: boolean };
  metrics(): Record<string, number>;
}

/** `prefix` names the metrics: `verity_node_` for the node daemon, `verity_challenger_` for the challenger. */
export function startHealthServer(source: HealthSource, port: number, prefix = "verity_node_"): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/health") {
      const h = source.health();
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(h));
    } else if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        Object.entries(source.metrics())
          .map(([k, v]) => `${prefix}${k} ${v}`)
          .join("\n") + "\n",
      );
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}
