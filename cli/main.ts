/**
 * The `verity` command line. Each command lives in its own file under `commands/` and registers itself here.
 *
 * Exit codes:
 *   0  success
 *   1  unexpected error (a bug): the stack is printed
 *   2  bad input or a refused action: a VerityError (missing or malformed file, wrong shape, unsupported model,
 *      no RPC node reachable, no deployment, no key, a reverted transaction...), printed as `error: <message>`
 *      followed by a hint
 *   3  verification failed: `--verify` recomputed a result that differs from the node's commitment (MISMATCH)
 *   4  timed out waiting (`--wait` with `--timeout`)
 *   64 usage error (unknown command or option, missing argument), as in sysexits.h EX_USAGE
 */
import { Command, CommanderError } from "commander";
import { VerityError } from "../executor/errors";
import { registerInferCommand } from "./commands/infer";
import { registerModelCommands } from "./commands/model";
import { registerDeployCommands } from "./commands/deploy";
import { registerDevCommand } from "./commands/dev";
import { registerModelRegistryCommands } from "./commands/model-registry";
import { registerNodeCommands } from "./commands/node";
import { registerParamsCommands } from "./commands/params";
import { registerRequestCommands } from "./commands/request";
import { registerGenerateCommand } from "./commands/generate";
import { registerStatusCommand } from "./commands/status";
import { registerTokenCommands } from "./commands/token";
import { registerClaimCommand } from "./commands/claim";
import { registerNodeServeCommand } from "./commands/node-serve";
import { registerChallengerCommands } from "./commands/challenger";
import { registerTeeCommands } from "./commands/tee";
import { registerZkCommands } from "./commands/zk";
import { closeAll } from "./chain";
import { addGlobalOptions } from "./config";
import { CliError, classifyChainError, hintFor } from "./errors";
import { UsageError } from "./usage";

export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_MISMATCH = 3;
export const EXIT_TIMEOUT = 4;
export const EXIT_USAGE = 64;

const EXIT_CODES_HELP = `
Exit codes:
  0   success
  1   unexpected error (a bug; the stack is printed)
  2   bad input or a refused action (missing file, no RPC node, no deployment, no key, a revert), with a hint
  3   --verify found a MISMATCH between the recomputed result and the node's commitment
  4   timed out waiting (--wait --timeout)
  64  usage error (unknown command or option, missing argument)

Configuration: flags, then VERITY_RPC_URL / VERITY_PRIVATE_KEY / VERITY_DEPLOYMENT, then $VERITY_HOME/config.json
(VERITY_HOME defaults to ./.verity). See docs/CLI.md.`;

export function buildCli(): Command {
  const cli = new Command("verity")
    .description(
      "Verity: verifiable AI inference. Import ONNX models as integer programs, publish them, stake, request and verify inferences.",
    )
    .version(readVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .configureHelp({ showGlobalOptions: true })
    .exitOverride();
  addGlobalOptions(cli);
  registerModelCommands(cli);
  const model = cli.commands.find((c) => c.name() === "model");
  if (model) registerModelRegistryCommands(model);
  if (model) registerZkCommands(model);
  registerInferCommand(cli);
  registerDeployCommands(cli);
  registerDevCommand(cli);
  registerParamsCommands(cli);
  registerNodeCommands(cli);
  registerRequestCommands(cli);
  registerGenerateCommand(cli);
  registerStatusCommand(cli);
  registerTokenCommands(cli);
  registerClaimCommand(cli);
  registerNodeServeCommand(cli);
  registerChallengerCommands(cli);
  registerTeeCommands(cli);
  // Every subcommand exits through reportError (exitOverride), like the root.
  const walk = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(walk);
  };
  walk(cli);
  return cli;
}

function readVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/** Prints `e` the way its class asks for and returns the exit code. */
export function reportError(e: unknown, stderr: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message (or the help / version text).
    return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (e instanceof UsageError) {
    stderr(`error: ${e.message}\n(run with --help for usage)\n`);
    return EXIT_USAGE;
  }
  if (e instanceof VerityError) {
    stderr(`error: ${e.message}\nhint: ${hintFor(e)}\n`);
    return e instanceof CliError ? e.exitCode : EXIT_BAD_INPUT;
  }
  // A wallet or RPC error from a call the command did not wrap: still the user's to fix.
  const known = classifyChainError(e, "the command failed");
  if (known) return reportError(known, stderr);
  stderr(`unexpected error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_UNEXPECTED;
}

/** A reader that went away (`verity --help | head -1`) ends the output, quietly. */
function quietOnEpipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
      throw e;
    });
  }
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  quietOnEpipe();
  try {
    await buildCli().parseAsync([...argv]);
    return EXIT_OK;
  } catch (e) {
    return reportError(e);
  } finally {
    closeAll();
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
