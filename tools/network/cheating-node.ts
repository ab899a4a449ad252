/**
 * `npm run network`'s cheating node: `verity node serve` with the tampering double (tools/doubles/tampering-node.ts)
 * injected as the node daemon's view provider, so that the product's CLI has no cheating switch. It takes the
 * options of `verity node serve` (and the global --rpc, --key, --deployment), plus
 *   --cheat <fraction>   the fraction of its requests it tampers with, in [0, 1] (default 0.1)
 *   --cheat-seed <seed>  the seed that picks them (default "verity")
 * and adds the double's `cheated` counter to its /metrics. The orchestrator (tools/network/orchestrator.ts) runs it as
 * `node -r ts-node/register/transpile-only tools/network/cheating-node.ts <options>`.
 */
import { Command, CommanderError } from "commander";

import { closeAll } from "../../cli/chain";
import { addGlobalOptions } from "../../cli/config";
import { CliError } from "../../cli/errors";
import { registerNodeServeCommand } from "../../cli/commands/node-serve";
import { runDaemonProcess } from "../../cli/daemon-process";
import { NodeDaemon } from "../../daemons/node/daemon";
import { VerityError } from "../../executor/errors";
import { TamperingNode, type TamperSetting } from "../doubles/tampering-node";

/** Takes `--cheat <fraction>` and `--cheat-seed <seed>` out of `args`; the rest is for `node serve`. */
export function takeCheatOptions(args: readonly string[]): { setting: TamperSetting; rest: string[] } {
  const setting: TamperSetting = { fraction: 0.1, seed: "verity" };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--cheat") setting.fraction = Number(args[++i]);
    else if (args[i] === "--cheat-seed") setting.seed = args[++i] ?? "";
    else rest.push(args[i]);
  }
  if (!(setting.fraction >= 0 && setting.fraction <= 1)) {
    throw new CliError(`--cheat ${setting.fraction} is not a fraction in [0, 1]`, "e.g. --cheat 0.1");
  }
  return { setting, rest };
}

/** The `node serve` command of a node that tampers with the requests `setting` picks. */
export function cheatingNodeCli(setting: TamperSetting): Command {
  const cli = new Command("cheating-node").exitOverride();
  addGlobalOptions(cli);
  registerNodeServeCommand(cli, async (options, proc) => {
    const cheater = new TamperingNode(setting, options.log);
    options.log?.warn("CHEATING NODE (test double): tampers with a fraction of its results", { ...setting });
    const daemon = new NodeDaemon({ ...options, viewProvider: cheater.viewProvider });
    await runDaemonProcess(daemon, { ...proc, extraMetrics: () => ({ cheated: cheater.cheated }) });
  });
  cli.commands.forEach((c) => c.exitOverride().commands.forEach((s) => s.exitOverride()));
  return cli;
}

async function main(args: readonly string[]): Promise<number> {
  try {
    const { setting, rest } = takeCheatOptions(args);
    await cheatingNodeCli(setting).parseAsync(["node", "serve", ...rest], { from: "user" });
    return 0;
  } catch (e) {
    // As `verity` exits: commander has printed its own message; a refused input is 2, anything else 1.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 64;
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (e instanceof CliError) process.stderr.write(`hint: ${e.hint}\n`);
    return e instanceof VerityError ? 2 : 1;
  } finally {
    closeAll();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
