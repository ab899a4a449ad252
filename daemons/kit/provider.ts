/**
 * A JSON-RPC provider whose transport is Node's own `fetch` and `JSON.parse`. ethers' `JsonRpcProvider` reads each
 * response through its own `FetchRequest`, which turns the body into a string with a UTF-8 decoder written in
 * JavaScript: on a daemon's big replies (an eth_getLogs of 200 InferenceRequested events with their 784-byte inputs,
 * about 400 kB) that took 150-350 ms of CPU where the chain answered in 30 ms (bench/network.ts), on a machine whose
 * cores the daemons share with the chain. Everything else (request ids, batching, error decoding, the formatting of
 * results) is ethers' as before: only `_send`, the one method ethers asks a subclass to provide, is replaced.
 *
 * Failures keep the shapes the daemons' retry rules (rpc.ts `isTransient`) and the CLI's messages expect: a refused or
 * reset connection is thrown as Node's error with its `code` (ECONNREFUSED, ECONNRESET), as by ethers' transport; an
 * HTTP error status as ethers' SERVER_ERROR; a timeout as ethers' TIMEOUT; any other transport failure as ethers'
 * NETWORK_ERROR.
 */
import { FetchRequest, JsonRpcProvider, makeError, type JsonRpcApiProviderOptions, type Networkish } from "ethers";
import type { JsonRpcPayload, JsonRpcResult } from "ethers";

/** Headers ethers adds for its own transport that `fetch` sets (or must set) itself. */
const TRANSPORT_HEADERS = new Set(["content-length", "accept-encoding"]);

/** A `JsonRpcProvider` over HTTP(S) whose requests go through Node's `fetch` (see the file comment). */
export class FetchJsonRpcProvider extends JsonRpcProvider {
  private readonly connection: FetchRequest;

  private readonly url: string;
  /** Basic credentials written into the URL (`http://user:pass@host`), which `fetch` refuses there. */
  private readonly authorization: string | null = null;

  constructor(url: string | FetchRequest, network?: Networkish, options?: JsonRpcApiProviderOptions) {
    super(url, network, options);
    this.connection = typeof url === "string" ? new FetchRequest(url) : url.clone();
    const u = new URL(this.connection.url);
    if (u.username !== "" || u.password !== "") {
      const creds = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      this.authorization = `Basic ${Buffer.from(creds).toString("base64")}`;
      u.username = "";
      u.password = "";
    }
    this.url = u.toString();
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const c = this.connection;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.authorization !== null) headers.authorization = this.authorization;
    for (const [k, v] of Object.entries(c.headers)) if (!TRANSPORT_HEADERS.has(k.toLowerCase())) headers[k] = v;
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers,
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(c.timeout),
      });
    } catch (e) {
      throw transportError(e, this.url);
    }
    if (!response.ok) {
      throw makeError(`server response ${response.status} ${response.statusText}`, "SERVER_ERROR", {
        request: c,
        info: { status: response.status },
      });
    }
    const body = (await response.json()) as JsonRpcResult | JsonRpcResult[];
    return Array.isArray(body) ? body : [body];
  }
}

/**
 * The error of a failed `fetch`: Node's socket error (ECONNREFUSED, ECONNRESET, ...) as ethers' transport throws it;
 * a timeout as ethers' TIMEOUT; anything else `fetch` reports (a socket the server closed: undici's UND_ERR_*) as
 * ethers' NETWORK_ERROR.
 */
function transportError(e: unknown, url: string): unknown {
  const err = e as { name?: string; message?: string; cause?: unknown };
  if (err?.name === "TimeoutError" || err?.name === "AbortError") {
    return makeError(`request to ${url} timed out`, "TIMEOUT", { operation: "request", reason: "timeout" });
  }
  const cause = err?.cause as { code?: unknown; message?: string } | undefined;
  if (typeof cause?.code === "string" && cause.code.startsWith("E")) return cause;
  return makeError(`request to ${url} failed: ${cause?.message ?? err?.message ?? String(e)}`, "NETWORK_ERROR", {
    event: "request",
  });
}
