/**
 * The bounded load generator of `npm run network`, run as its own process:
 *
 *   node -r ts-node/register/transpile-only tools/network/load.ts --dir <dir> --requests 300 --rate 50
 *
 * It sends `--requests` inference requests on real held-out digits (quantized by the orchestrator into
 * `<dir>/network.json`), alternating between the MLP and the CNN, from several requester accounts, at most `--rate`
 * per second, many in flight per account (each account counts its own nonces; one eth_getBlockReceipts per block
 * finds the receipts), so that a chain with a block a second still takes dozens of requests a second. A request is open (any eligible node may claim it) with probability `--open`, otherwise it names the
 * operators in turn; a named node that is no longer eligible (jailed after a slash) gets an open request instead.
 * Each mined request is appended to `--out` as one JSON line (requestId, wall-clock time, model, digit, label, node),
 * so that a run cut short still leaves a record. It exits 0 once every request is mined (1 on a fatal error).
 */
import * as fs from "fs";
import * as path from "path";
import { id, JsonRpcProvider, parseUnits, toQuantity, Wallet, ZeroAddress, type TransactionRequest } from "ethers";

import { InferenceManager__factory } from "../../typechain-types/factories/contracts/inference/InferenceManager__factory";
import { VerificationModes } from "../../protocol/constants";
import type { NetworkConfig } from "./setup";

/** The selector of InferenceManagerNodeNotEligible(address,uint256) (raised from the linked InferenceLib, so ethers
 * may not name it). */
const NOT_ELIGIBLE = id("InferenceManagerNodeNotEligible(address,uint256)").slice(0, 10);

/** One mined request, as written to the output file. */
export interface LoadRecord {
  requestId: string;
  /** Wall-clock ms when the request's receipt arrived. */
  minedAt: number;
  block: number;
  model: "mlp" | "cnn";
  digit: number;
  label: number;
  /** The named node, or "open". */
  node: string;
  requester: string;
}

export interface LoadOptions {
  dir: string;
  requests: number;
  rate: number;
  openFraction: number;
  out: string;
}

function parseArgs(argv: string[]): LoadOptions {
  const get = (flag: string, fallback?: string) => {
    const i = argv.indexOf(flag);
    if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
    if (fallback === undefined) throw new Error(`load.ts: missing ${flag}`);
    return fallback;
  };
  const dir = get("--dir");
  return {
    dir,
    requests: Number(get("--requests", "300")),
    rate: Number(get("--rate", "50")),
    openFraction: Number(get("--open", "0.2")),
    out: get("--out", path.join(dir, "requests.jsonl")),
  };
}

/** What the load generator reads of a receipt. */
interface Receipt {
  hash: string;
  status: number;
  blockNumber: number;
  logs: { topics: string[]; data: string }[];
}

/** A raw JSON-RPC receipt, as far as the load generator reads it. */
function formatReceipt(raw: unknown): Receipt | null {
  const r = raw as {
    transactionHash?: string;
    status?: string;
    blockNumber?: string;
    logs?: { topics: string[]; data: string }[];
  } | null;
  if (!r?.transactionHash) return null;
  return {
    hash: r.transactionHash,
    status: Number(r.status ?? 0),
    blockNumber: Number(r.blockNumber ?? 0),
    logs: r.logs ?? [],
  };
}

/** Transactions each requester account has in flight at most (sent, not yet mined). */
const IN_FLIGHT_PER_ACCOUNT = 64;
/** How often the receipt watcher looks for a new block (ms). */
const WATCH_MS = 150;

/**
 * Receipts by block: one `eth_getBlockReceipts` per new block for every transaction in flight (instead of each
 * transaction polling for its own receipt), or `eth_getTransactionReceipt` per pending hash on a node without it.
 */
class ReceiptWatcher {
  private readonly waiting = new Map<string, (r: Receipt) => void>();
  private next = -1;
  private byBlock = true;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly provider: JsonRpcProvider) {}

  wait(hash: string): Promise<Receipt> {
    const p = new Promise<Receipt>((resolve) => this.waiting.set(hash.toLowerCase(), resolve));
    if (!this.timer) this.timer = setInterval(() => void this.poll(), WATCH_MS);
    return p;
  }

  private deliver(r: Receipt | null): void {
    if (!r) return;
    const resolve = this.waiting.get(r.hash.toLowerCase());
    if (!resolve) return;
    this.waiting.delete(r.hash.toLowerCase());
    resolve(r);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const latest = Number(await this.provider.send("eth_blockNumber", []));
      if (this.next < 0) this.next = Math.max(0, latest - 2);
      for (; this.byBlock && this.next <= latest && this.waiting.size > 0; this.next++) {
        try {
          const receipts = (await this.provider.send("eth_getBlockReceipts", [toQuantity(this.next)])) as unknown[];
          for (const raw of receipts ?? []) this.deliver(formatReceipt(raw));
        } catch {
          this.byBlock = false;
        }
      }
      if (!this.byBlock) {
        for (const hash of [...this.waiting.keys()].slice(0, 64)) {
          const raw = await this.provider.send("eth_getTransactionReceipt", [hash]);
          if (raw) this.deliver(formatReceipt(raw));
        }
      }
      this.next = Math.max(this.next, latest + 1);
    } catch {
      // the next poll tries again
    } finally {
      this.busy = false;
      if (this.waiting.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }
  }
}

/** One requester account: its own nonce counter; broadcasts one at a time, receipts awaited in parallel. */
class Requester {
  private nonce: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly address: string,
    private readonly wallet: Wallet,
    private readonly provider: JsonRpcProvider,
  ) {}

  /** Signs and broadcasts `tx` with the next nonce; on a failed broadcast the nonce is read again. */
  broadcast(tx: TransactionRequest): Promise<string> {
    const run = this.queue.then(async () => {
      this.nonce ??= await this.provider.getTransactionCount(this.address, "pending");
      try {
        const signed = await this.wallet.signTransaction({ ...tx, nonce: this.nonce });
        const hash = (await this.provider.send("eth_sendRawTransaction", [signed])) as string;
        this.nonce++;
        return hash;
      } catch (e) {
        this.nonce = null;
        throw e;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export async function runLoad(opts: LoadOptions, log: (line: string) => void = console.log): Promise<LoadRecord[]> {
  if (!(opts.requests > 0 && opts.rate > 0)) throw new Error("--requests and --rate must be positive");
  const cfg = JSON.parse(fs.readFileSync(path.join(opts.dir, "network.json"), "utf8")) as NetworkConfig;
  const provider = new JsonRpcProvider(cfg.url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 100,
  });
  const chainId = (await provider.getNetwork()).chainId;
  const requesters = cfg.requesters.map((r) => new Requester(r.address, new Wallet(r.key, provider), provider));
  const watcher = new ReceiptWatcher(provider);
  const iface = InferenceManager__factory.createInterface();
  const im = InferenceManager__factory.connect(cfg.addresses.inferenceManager, provider);
  const ineligible = new Set<string>();
  const records: LoadRecord[] = [];
  const fee = BigInt(cfg.fee);
  const digits = cfg.inputs.labels.length;
  let named = 0;

  // A fixed gas limit (estimated once per model, with room): no estimate per transaction, so that many can be in
  // flight from one account, and a request that reverts on-chain still uses its nonce.
  const gasLimit: Record<"mlp" | "cnn", bigint> = { mlp: 0n, cnn: 0n };
  for (const model of ["mlp", "cnn"] as const) {
    const estimate = await im.request.estimateGas(
      BigInt(cfg.versions[model]),
      cfg.inputs[model][0],
      fee,
      ZeroAddress,
      VerificationModes.OPTIMISTIC,
      ZeroAddress,
      0,
      { from: cfg.requesters[0].address },
    );
    gasLimit[model] = (estimate * 3n) / 2n + 50_000n;
  }
  const fees = { maxFeePerGas: parseUnits("100", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") };

  // Deterministic choices (a small LCG), so that two runs with the same options send the same requests.
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };

  const sendOne = async (i: number): Promise<void> => {
    const model = i % 2 === 0 ? "mlp" : "cnn";
    const digit = i % digits;
    const input = cfg.inputs[model][digit];
    const version = BigInt(cfg.versions[model]);
    const who = requesters[i % requesters.length];
    let node = ZeroAddress;
    if (random() >= opts.openFraction) {
      const eligible = cfg.operators.filter((o) => !ineligible.has(o.address));
      if (eligible.length > 0) node = eligible[named++ % eligible.length].address;
    }
    for (let attempt = 0; ; attempt++) {
      const data = iface.encodeFunctionData("request", [
        version,
        input,
        fee,
        node,
        VerificationModes.OPTIMISTIC,
        ZeroAddress,
        0,
      ]);
      try {
        const hash = await who.broadcast({
          to: cfg.addresses.inferenceManager,
          data,
          gasLimit: gasLimit[model],
          chainId,
          type: 2,
          ...fees,
        });
        const receipt = await watcher.wait(hash);
        if (receipt.status !== 1) {
          // Replay it as a call at the latest block to learn why it reverted.
          const why = await provider
            .call({ to: cfg.addresses.inferenceManager, data, from: who.address })
            .then(() => "no revert on replay")
            .catch((e: Error) => e.message);
          throw new Error(`request ${i} reverted in ${hash}: ${why}`);
        }
        const ev = receipt.logs
          .map((l) => iface.parseLog({ topics: [...l.topics], data: l.data }))
          .find((p) => p?.name === "InferenceRequested");
        const record: LoadRecord = {
          requestId: String(ev!.args.requestId),
          minedAt: Date.now(),
          block: receipt.blockNumber,
          model,
          digit,
          label: cfg.inputs.labels[digit],
          node: node === ZeroAddress ? "open" : node,
          requester: who.address,
        };
        records.push(record);
        fs.appendFileSync(opts.out, JSON.stringify(record) + "\n");
        return;
      } catch (e) {
        const text = String((e as Error).message ?? e);
        // The named node was jailed (or its free stake fell below the minimum) after we chose it.
        if (node !== ZeroAddress && (/NodeNotEligible/.test(text) || text.includes(NOT_ELIGIBLE)) && attempt < 3) {
          ineligible.add(node);
          log(`node ${node} is not eligible any more; request ${i} goes out open`);
          node = ZeroAddress;
          continue;
        }
        if (attempt < 3) {
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
          continue;
        }
        throw e;
      }
    }
  };

  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < opts.requests; i++) {
    // Bounded rate: request i is not sent before started + i / rate seconds.
    const due = started + (i * 1000) / opts.rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Bounded concurrency too: IN_FLIGHT_PER_ACCOUNT transactions in flight per requester account at most.
    while (inFlight.size >= requesters.length * IN_FLIGHT_PER_ACCOUNT) await Promise.race(inFlight);
    const p: Promise<void> = sendOne(i).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if ((i + 1) % 50 === 0) log(`load: ${i + 1}/${opts.requests} requests sent`);
  }
  await Promise.all(inFlight);
  const secs = (Date.now() - started) / 1000;
  log(`load: ${records.length} requests mined in ${secs.toFixed(1)} s (${(records.length / secs).toFixed(1)}/s)`);
  provider.destroy();
  return records;
}

if (require.main === module) {
  runLoad(parseArgs(process.argv.slice(2))).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`load generator failed: ${(e as Error).stack ?? String(e)}`);
      process.exit(1);
    },
  );
}
