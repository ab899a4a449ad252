/**
 * The `verity` command line. Each command lives in its own file under `commands/` and registers itself here.
 *
 * Exit codes:
 *   0  success
 *   1  unexpected error (a bug): the stack is printed
 *   2  bad input: a VerityError (missing or malformed file, wrong shape, unsupported model...), printed as
 *      `error: <message>` followed by a hint
 *   64 usage error (unknown command or option, missing argument), as in sysexits.h EX_USAGE
 */
import { Command, CommanderError } from "commander";
import {
  InvalidInputError,
  InvalidModelError,
  OnnxDecodeError,
  ProgramDecodeError,
  ShapeMismatchError,
  UnsupportedOperatorError,
  VerityError,
} from "../errors";
import { FileAccessError } from "./io";
import { registerInferCommand } from "./commands/infer";
import { registerModelCommands } from "./commands/model";
import { UsageError } from "./usage";

export const EXIT_OK = 0;
export const EXIT_UNEXPECTED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_USAGE = 64;


export function buildCli(): Command {
  const cli = new Command("verity")
    .description("Verity: verifiable AI inference. Import ONNX models as integer programs and run committed inferences.")
    .version(readVersion(), "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerModelCommands(cli);
  registerInferCommand(cli);
  return cli;
}

function readVersion(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

function hintFor(e: VerityError): string {
  if (e instanceof ShapeMismatchError) {
    return "give the input the model's shape (the message names both); a flat JSON array needs --shape, e.g. --shape 1,1,28,28";
  }
  if (e instanceof FileAccessError) return "check the path (relative paths start from the current directory)";
  if (e instanceof OnnxDecodeError) return "pass a binary ONNX ModelProto (.onnx), not a text, JSON or truncated export";
  if (e instanceof UnsupportedOperatorError) return "re-export the model with supported operators only (see executor/model/graph.ts)";
  if (e instanceof InvalidModelError) return "the model is not a graph Verity can run; check it with onnx.checker first";
  if (e instanceof ProgramDecodeError) return "the program directory is damaged; re-create it with `verity model import`";
  if (e instanceof InvalidInputError) {
    return "inputs are JSON arrays of finite numbers (nested, or flat with --shape) or ONNX TensorProto .pb files";
  }
  return "run with --help for usage";
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
    return EXIT_BAD_INPUT;
  }
  stderr(`unexpected error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_UNEXPECTED;
}

/** Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildCli().parseAsync([...argv]);
    return EXIT_OK;
  } catch (e) {
    return reportError(e);
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
