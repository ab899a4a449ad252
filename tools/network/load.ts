/**
 * The bounded load generator of `npm run network`, run as its own process:
 *
 *   node -r ts-node/register/transpile-only tools/network/load.ts --dir <dir> --requests 300 --rate 50
 *
 * It sends `--requests` inference requests on real held-out digits (quantized by the orchestrator into
 * `<dir>/network.json`), alternating between the MLP and the CNN, from several requester accounts, at most `--rate`
 * per second. A request is open (any eligible node may claim it) with probability `--open`, otherwise it names the
 * operators in turn; a named node that is no longer eligible (jailed after a slash) gets an open request instead.
 * Each mined request is appended to `--out` as one JSON line (requestId, wall-clock time, model, digit, label, node),
 * so that a run cut short still leaves a record. It exits 0 once every request is mined (1 on a fatal error).
 */
import * as fs from "fs";
import * as path from "path";
import { id, JsonRpcProvider, NonceManager, Wallet, ZeroAddress } from "ethers";

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

export async function runLoad(opts: LoadOptions, log: (line: string) => void = console.log): Promise<LoadRecord[]> {
  if (!(opts.requests > 0 && opts.rate > 0)) throw new Error("--requests and --rate must be positive");
  const cfg = JSON.parse(fs.readFileSync(path.join(opts.dir, "network.json"), "utf8")) as NetworkConfig;
  const provider = new JsonRpcProvider(cfg.url, undefined, {
    staticNetwork: true,
    batchMaxCount: 1,
    pollingInterval: 100,
  });
  const requesters = cfg.requesters.map((r) => {
    const signer = new NonceManager(new Wallet(r.key, provider));
    return { address: r.address, im: InferenceManager__factory.connect(cfg.addresses.inferenceManager, signer) };
  });
  const iface = InferenceManager__factory.createInterface();
  const ineligible = new Set<string>();
  const records: LoadRecord[] = [];
  const fee = BigInt(cfg.fee);
  const digits = cfg.inputs.labels.length;
  let named = 0;

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
      try {
        const tx = await who.im.request(version, input, fee, node, VerificationModes.OPTIMISTIC, ZeroAddress, 0);
        const receipt = await tx.wait();
        if (!receipt || receipt.status !== 1) throw new Error(`request ${i} failed in ${tx.hash}`);
        const ev = receipt.logs.map((l) => iface.parseLog(l)).find((p) => p?.name === "InferenceRequested");
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
          (who.im.runner as NonceManager).reset();
          continue;
        }
        if (attempt < 3) {
          (who.im.runner as NonceManager).reset();
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
    // Bounded concurrency too: one transaction in flight per requester account at most.
    while (inFlight.size >= requesters.length) await Promise.race(inFlight);
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
