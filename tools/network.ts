/**
 * `npm run network [-- options]`: the Verity network as separate processes on a local JSON-RPC chain, on 127.0.0.1.
 *
 *   1. starts a local chain on 127.0.0.1 and a free port: anvil with a block every second (`--chain anvil`, the
 *      default), or `hardhat node` (`--chain hardhat`: automine, so the tool moves its clock past each window);
 *   2. deploys the protocol (Ignition; anvil: ignition/parameters/anvil.json, a 30 s challenge window; hardhat:
 *      local.json and a 60 s window), publishes the demo MLP and CNN, and funds, stakes (above the minimum) and
 *      registers three operators;
 *   3. launches two `verity node serve` daemons and a cheating one (tools/network/cheating-node.ts: the same daemon
 *      with a test double that tampers with a fraction of its requests), the `verity challenger run` watchtower, and
 *      the bounded load generator (tools/network/load.ts);
 *   4. prints a live status table (on a hardhat node, while it moves the chain's clock past each challenge window);
 *   5. once the load is done and every request settled (or after --duration), prints a closing summary and stops
 *      every process. Ctrl-C stops everything at any time (SIGTERM to each child, then SIGKILL after 5 s).
 *
 * Options: --chain anvil|hardhat (anvil), --requests <n> (300), --rate <per second> (40), --cheat <fraction> (0.1), --duration <seconds> (300),
 * --no-challenger, --open <fraction of open requests> (0.2), --dir <working dir> (kept; default a temporary one,
 * removed at the end unless --keep).
 */
import { formatEther } from "ethers";

import { DisputeManager__factory } from "../typechain-types/factories/contracts/disputes/DisputeManager__factory";
import { DisputeOutcome } from "../protocol/constants";
import { CHAIN_KINDS, type ChainKind } from "./network/chain";
import { VerityNetwork } from "./network/orchestrator";
import { sleep } from "./network/processes";
import { StatusPrinter } from "./network/status";

interface Cli {
  chain: ChainKind;
  requests: number;
  rate: number;
  cheat: number;
  duration: number;
  challenger: boolean;
  open: number;
  dir?: string;
  keep: boolean;
}

const USAGE = `usage: npm run network -- [--chain anvil|hardhat] [--requests <n>] [--rate <per s>] [--cheat <fraction>] [--duration <s>]
                          [--open <fraction>] [--no-challenger] [--dir <dir>] [--keep]`;

function parse(argv: string[]): Cli {
  const cli: Cli = {
    chain: "anvil",
    requests: 300,
    rate: 40,
    cheat: 0.1,
    duration: 300,
    challenger: true,
    open: 0.2,
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number) => {
      const v = Number(argv[++i]);
      if (!(v >= min && v <= max)) throw new Error(`${a} needs a number in [${min}, ${max}]\n${USAGE}`);
      return v;
    };
    if (a === "--chain") {
      const kind = argv[++i] as ChainKind;
      if (!CHAIN_KINDS.includes(kind)) throw new Error(`--chain needs one of ${CHAIN_KINDS.join(", ")}\n${USAGE}`);
      cli.chain = kind;
    } else if (a === "--requests") cli.requests = Math.floor(num(1, 100_000));
    else if (a === "--rate") cli.rate = num(0.1, 10_000);
    else if (a === "--cheat") cli.cheat = num(0, 1);
    else if (a === "--duration") cli.duration = num(10, 86_400);
    else if (a === "--open") cli.open = num(0, 1);
    else if (a === "--no-challenger") cli.challenger = false;
    else if (a === "--challenger") cli.challenger = true;
    else if (a === "--dir") cli.dir = argv[++i];
    else if (a === "--keep") cli.keep = true;
    else if (a === "--help" || a === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return cli;
}

async function main(): Promise<number> {
  const cli = parse(process.argv.slice(2));
  const net = new VerityNetwork({ chain: cli.chain, dir: cli.dir, cheat: cli.cheat, challenger: cli.challenger });
  const printer = new StatusPrinter();
  let interrupted = false;
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    interrupted = true;
    if (signals > 1) {
      net.group.killAllNow();
      process.exit(130);
    }
    console.log(`\n${sig}: stopping every process (Ctrl-C again to kill them at once)...`);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("exit", () => net.group.killAllNow());

  const deadline = Date.now() + cli.duration * 1000;
  try {
    console.log(`Verity network: working directory ${net.dir} (daemon logs and journals are there)`);
    await net.start();
    if (interrupted) return 130;
    net.startClock();
    net.startLoad(cli.requests, cli.rate, cli.open);
    console.log(`load generator: ${cli.requests} requests at <= ${cli.rate}/s\n`);
    let settledAt = 0;
    for (;;) {
      await sleep(1_500);
      if (interrupted) break;
      await net.ledger.sync();
      printer.print(net.ledger, await net.snapshot());
      const sum = net.ledger.summary();
      const loadDone = net.load?.exitCode() !== undefined;
      if (loadDone && net.load?.exitCode() !== 0) {
        console.log(`the load generator failed (exit ${net.load?.exitCode()}); see ${net.dir}/load.log`);
        break;
      }
      if (loadDone && sum.requested > 0 && sum.settled === sum.requested && sum.disputesOpen === 0) {
        settledAt = Date.now();
        break;
      }
      if (Date.now() > deadline) {
        console.log(`--duration ${cli.duration} s reached`);
        break;
      }
    }
    if (!interrupted && settledAt === 0 && net.load?.exitCode() === 0) {
      const n = await net.refundExpired();
      if (n > 0) console.log(`${n} unserved requests refunded to their requesters after their deadline`);
      await net.ledger.sync();
    }
    await net.stopClock();
    printer.detach();
    const snap = await net.snapshot();
    const sum = net.ledger.summary();
    console.log("\nClosing summary");
    console.log(
      `  requests: ${sum.requested} made, ${sum.committed} committed (${sum.batches} batches), ${sum.finalized} finalized, ` +
        `${sum.rejected} rejected after a lost dispute, ${sum.refunded} refunded, ${sum.requested - sum.settled} unsettled`,
    );
    const stake = BigInt(net.config.stakePerOperator);
    for (const n of snap.nodes) {
      const paid = net.ledger.paid.get(n.address.toLowerCase()) ?? 0n;
      console.log(
        `  ${n.name.padEnd(14)} ${n.address}  fees earned ${formatEther(paid)} VRT, stake ${formatEther(n.stake)} VRT` +
          (n.stake < stake ? ` (slashed ${formatEther(stake - n.stake)} VRT)` : ""),
      );
    }
    const nodeWrong = [...net.ledger.disputesResolved.values()].filter(
      (d) => d.outcome === DisputeOutcome.NodeWrong,
    ).length;
    console.log(
      `  disputes: ${net.ledger.disputesOpened.size} opened, ${net.ledger.disputesResolved.size} resolved ` +
        `(${nodeWrong} proved the node wrong)`,
    );
    if (net.challenger) {
      const dm = DisputeManager__factory.connect(net.config.addresses.disputeManager, net.provider);
      const who = net.config.challenger.address;
      const earned = (await dm.credits(who)) + (net.ledger.claimed.disputes.get(who.toLowerCase()) ?? 0n);
      console.log(`  challenger ${who}: bonds back and rewards credited ${formatEther(earned)} VRT`);
    }
    console.log(
      `  wall time ${((Date.now() - net.startedAt) / 1000).toFixed(1)} s; ` +
        (net.clockRuns
          ? `${net.kind}'s clock ran with its blocks` +
            (net.chainTimeOffset > 0 ? ` (moved ${net.chainTimeOffset} s to refund)` : "")
          : `chain clock moved ${net.chainTimeOffset} s`),
    );
    return interrupted ? 130 : sum.settled === sum.requested ? 0 : 1;
  } finally {
    await net.stop();
    console.log("every process stopped");
    if (!cli.keep && cli.dir === undefined) net.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`npm run network failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
