/**
 * `verity challenger run`: runs the challenger daemon (daemons/challenger/daemon.ts) with the key's account until
 * SIGINT/SIGTERM. It recomputes the commitments (or a deterministic sample), disputes the wrong ones and plays their
 * games. A stop signal lets the current tick finish and closes the journal; a second signal exits at once (the
 * journal makes that safe too).
 */
import * as path from "path";
import type { Command } from "commander";

import { ChallengerDaemon } from "../../daemons/challenger/daemon";
import { createLogger } from "../../daemons/kit/log";
import { defaultResolver } from "../../protocol/resolver";
import { signerOf } from "../chain";
import { globalsOf, storeDir, verityHome } from "../config";
import { CliError } from "../errors";
import { connectDaemon, intOption as int, runDaemonProcess } from "../daemon-process";

interface RunOptions {
  sample: string;
  sampleSeed: string;
  maxPasses: string;
  journal?: string;
  confirmations: string;
  pollMs: string;
  healthPort?: string;
  fromBlock?: string;
  maxBlockRange: string;
  pretty?: boolean;
}

/** The daemon's settings from the options, checked before anything connects. */
export function challengerSettings(opts: RunOptions) {
  const sample = Number(opts.sample);
  if (opts.sample.trim() === "" || !(sample >= 0 && sample <= 1)) {
    throw new CliError(
      `--sample ${opts.sample} is not a fraction in [0, 1]`,
      "e.g. --sample 0.1 to recompute one commitment in ten (the same ones on every run with the same --sample-seed)",
    );
  }
  return {
    sample,
    sampleSeed: opts.sampleSeed,
    maxPasses: int(opts.maxPasses, "--max-passes", 1),
    confirmations: int(opts.confirmations, "--confirmations", 1),
    pollMs: int(opts.pollMs, "--poll-ms", 10),
    healthPort: opts.healthPort !== undefined ? int(opts.healthPort, "--health-port", 0) : undefined,
    startBlock: opts.fromBlock !== undefined ? int(opts.fromBlock, "--from-block", 0) : undefined,
    maxBlockRange: int(opts.maxBlockRange, "--max-block-range", 1),
  };
}

async function run(opts: RunOptions, cmd: Command): Promise<void> {
  const s = challengerSettings(opts);
  const p = await connectDaemon(globalsOf(cmd), createLogger({ pretty: opts.pretty }));
  const signer = signerOf(p);
  const log = createLogger({ pretty: opts.pretty, base: opts.pretty ? undefined : { challenger: signer.address } });
  const daemon = new ChallengerDaemon({
    signer,
    addresses: p.addresses,
    resolver: defaultResolver({ getVersion: (id) => p.modelRegistry.getVersion(id) }, storeDir()),
    journalFile: opts.journal,
    journalRoot: verityHome(),
    sample: s.sample,
    sampleSeed: s.sampleSeed,
    maxPasses: s.maxPasses,
    confirmations: s.confirmations,
    startBlock: s.startBlock,
    maxBlockRange: s.maxBlockRange,
    log,
  });
  await runDaemonProcess(daemon, {
    provider: p.provider,
    pollMs: s.pollMs,
    healthPort: s.healthPort,
  });
}

/** Adds the `challenger` command group with `run`. */
export function registerChallengerCommands(cli: Command): void {
  const group =
    cli.commands.find((c) => c.name() === "challenger") ??
    cli.command("challenger").description("watchtowers: check committed results and dispute the wrong ones");
  group
    .command("run")
    .description(
      "run the challenger daemon: recompute committed results (individual and batched) with the reference executor, " +
        "dispute every wrong OPTIMISTIC result inside its window (posting the bond), play the game to its end and " +
        "claim the credits; JSON-line logs on stdout; stops on SIGINT/SIGTERM",
    )
    .option("--sample <fraction>", "fraction of commitments to recompute, in [0, 1]", "1")
    .option("--sample-seed <seed>", "seed that picks the sampled commitments (the same set on every run)", "verity")
    .option(
      "--max-passes <n>",
      "generations: re-run at most this many passes per committed generation (all of a generation up to n bytes; " +
        "a longer one: n of them, the last always among them, picked with --sample-seed)",
      "64",
    )
    .option(
      "--journal <file>",
      `journal file (default ${path.join("$VERITY_HOME", "challenger-<address>", "chain-<id>-<genesis>-<deployment>", "journal.jsonl")})`,
    )
    .option(
      "--confirmations <n>",
      "blocks deep an event must be before it is taken in, and after each transaction",
      "1",
    )
    .option("--poll-ms <n>", "milliseconds between ticks", "1000")
    .option("--health-port <n>", "serve GET /health and /metrics on 127.0.0.1:<n> (0: any free port)")
    .option("--from-block <n>", "first block to scan on a fresh journal (default 0)")
    .option("--max-block-range <n>", "blocks of events read per request at most", "2000")
    .option("--pretty", "human-readable log lines instead of JSON")
    .action(async (opts: RunOptions, cmd: Command) => run(opts, cmd));
}
