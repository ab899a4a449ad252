/**
 * `verity node serve`: runs the node daemon (daemons/node/daemon.ts) with the key's account until SIGINT/SIGTERM.
 * A stop signal lets the current tick finish and closes the journal; a second signal exits at once (the journal
 * makes that safe too).
 */
import * as path from "path";
import type { Command } from "commander";

import { NodeDaemon, type NodeDaemonOptions } from "../../daemons/node/daemon";
import { createLogger } from "../../daemons/kit/log";
import { defaultResolver } from "../../protocol/resolver";
import { MODE } from "../../modes/verified";
import { zkVerifiedSettlerFor } from "./zk";
import { signerOf } from "../chain";
import { globalsOf, storeDir, verityHome } from "../config";
import { CliError } from "../errors";
import { connectDaemon, intOption as int, runDaemonProcess, type DaemonProcessOptions } from "../daemon-process";
import { teeSettlers } from "./tee";

interface ServeOptions {
  batchThreshold: string;
  maxBatch: string;
  minServeSeconds: string;
  confirmations: string;
  pollMs: string;
  healthPort?: string;
  fromBlock?: string;
  journal?: string;
  pretty?: boolean;
  mode: string;
  enclaveKey?: string;
  zkSettler?: string;
}

/** `--mode`: the modes to serve; NONE and OPTIMISTIC always, a verified mode only when listed. */
function parseModes(text: string): string[] {
  const modes = text
    .split(",")
    .map((m) => m.trim().toLowerCase())
    .filter(Boolean);
  const known = ["none", "optimistic", "tee", "zk"];
  const unknown = modes.filter((m) => !known.includes(m));
  if (unknown.length > 0) {
    throw new CliError(`--mode ${text}: unknown mode ${unknown.join(", ")}`, `modes: ${known.join(", ")}`);
  }
  return modes;
}

/**
 * Runs the daemon `node serve` configured, as a process. The default builds a `NodeDaemon` from the options; a tool
 * that embeds the command may start its own (tools/network/cheating-node.ts adds a test double's view provider).
 */
export type NodeServeRunner = (options: NodeDaemonOptions, process: DaemonProcessOptions) => Promise<void>;

const runNodeDaemon: NodeServeRunner = (options, process) => runDaemonProcess(new NodeDaemon(options), process);

async function serve(opts: ServeOptions, cmd: Command, runner: NodeServeRunner): Promise<void> {
  const p = await connectDaemon(globalsOf(cmd), createLogger({ pretty: opts.pretty }));
  const signer = signerOf(p);
  const log = createLogger({ pretty: opts.pretty, base: opts.pretty ? undefined : { node: signer.address } });
  const modes = parseModes(opts.mode);
  const verifiedSettlers = await teeSettlers(p, signer, modes, opts.enclaveKey);
  if (modes.includes("zk")) verifiedSettlers.set(MODE.ZK, zkVerifiedSettlerFor(p, signer, opts.zkSettler));
  const options: NodeDaemonOptions = {
    signer,
    addresses: p.addresses,
    resolver: defaultResolver({ getVersion: (id) => p.modelRegistry.getVersion(id) }, storeDir()),
    journalFile: opts.journal,
    journalRoot: verityHome(),
    batchThreshold: int(opts.batchThreshold, "--batch-threshold", 0),
    maxBatchSize: int(opts.maxBatch, "--max-batch", 2),
    minServeSeconds: int(opts.minServeSeconds, "--min-serve-seconds", 0),
    confirmations: int(opts.confirmations, "--confirmations", 1),
    startBlock: opts.fromBlock !== undefined ? int(opts.fromBlock, "--from-block", 0) : undefined,
    log,
    verifiedSettlers,
  };
  await runner(options, {
    provider: p.provider,
    pollMs: int(opts.pollMs, "--poll-ms", 10),
    healthPort: opts.healthPort !== undefined ? int(opts.healthPort, "--health-port", 0) : undefined,
  });
}

/** Adds `serve` to the `node` command group (creating the group if another module has not). */
export function registerNodeServeCommand(cli: Command, runner: NodeServeRunner = runNodeDaemon): void {
  const node = cli.commands.find((c) => c.name() === "node") ?? cli.command("node").description("operators");
  node
    .command("serve")
    .description(
      "run the node daemon: serve requests for the versions this node is registered for, commit (in batches under " +
        "load), finalize, claim credits and answer disputes; JSON-line logs on stdout; stops on SIGINT/SIGTERM",
    )
    .option("--batch-threshold <n>", "commit with commitBatch when more than n results are pending in one tick", "8")
    .option("--max-batch <n>", "leaves per batch at most (the contract allows 1024)", "256")
    .option(
      "--min-serve-seconds <n>",
      "claim an open request only if its claim would leave at least n seconds to serve it (an abandoned claim costs one fee)",
      "30",
    )
    .option("--confirmations <n>", "blocks to wait for after each transaction", "1")
    .option("--poll-ms <n>", "milliseconds between ticks", "1000")
    .option("--health-port <n>", "serve GET /health and /metrics on 127.0.0.1:<n> (0: any free port)")
    .option("--from-block <n>", "first block to scan on a fresh journal (default 0)")
    .option(
      "--journal <file>",
      `journal file (default ${path.join("$VERITY_HOME", "node-<address>", "chain-<id>-<genesis>-<deployment>", "journal.jsonl")})`,
    )
    .option("--pretty", "human-readable log lines instead of JSON")
    .option(
      "--mode <modes>",
      "modes to serve (comma list): none and optimistic always; tee needs --enclave-key; zk needs `verity model zk-setup`",
      "optimistic",
    )
    .option(
      "--enclave-key <file>",
      "TEE mode: the SOFTWARE enclave key file (NOT hardware-protected; `verity node tee-keygen`)",
    )
    .option("--zk-settler <address>", "ZK mode: the ZkSettler (default: Zk#ZkSettler of the deployment file)")
    .action(async (opts: ServeOptions, cmd: Command) => serve(opts, cmd, runner));
}
