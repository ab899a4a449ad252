/**
 * Publishers: `verity model publish <program dir> --name <name>` and `verity model list`.
 * `publish` stores the program (and the ONNX artifact) in the local content-addressed store (store.ts) and
 * registers the version: publishModel for a new name, publishVersion when the caller already owns a model of that
 * name.
 */
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { hexlify } from "ethers";
import { cidBytes, cidOf, cidToString } from "../../executor/model/cid";
import { contextLength, recordLengths, type GenerationTerms } from "../../executor/generate";
import { encodeProgram, type Program } from "../../executor/runtime/program";
import { VerificationModes } from "../../protocol/constants";
import { findEvent } from "../../protocol/events";
import { generationSpecOf, termsOfSpec } from "../../protocol/generation";
import { connect, type Protocol, read, send, signerOf } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { formatAmount, parseAmount, toJson } from "../values";
import { readProgramDir } from "../model-source";
import { hasStoredProgram, storeProgram } from "../store";
import { formatTable } from "../table";

/** The verification modes by their CLI names (none, optimistic, tee, zk): VerificationModes' bits but ALL. */
export const MODE_BITS: Record<string, number> = Object.fromEntries(
  Object.entries(VerificationModes)
    .filter(([name]) => name !== "ALL")
    .map(([name, bit]) => [name.toLowerCase(), bit]),
);

export function parseModes(text: string): number {
  let bits = 0;
  for (const part of text.split(/[,\s|]+/).filter(Boolean)) {
    const bit = MODE_BITS[part.toLowerCase()];
    if (bit === undefined)
      throw new CliError(
        `unknown verification mode '${part}'`,
        `modes are ${Object.keys(MODE_BITS).join(", ")}, comma-separated`,
      );
    bits |= bit;
  }
  if (bits === 0) throw new CliError("no verification mode given", "e.g. --modes optimistic,none");
  return bits;
}

export function modeNames(bits: number | bigint): string {
  const b = Number(bits);
  return Object.entries(MODE_BITS)
    .filter(([, v]) => (b & v) !== 0)
    .map(([k]) => k)
    .join(",");
}

interface PublishOptions extends GenerationOptions {
  name: string;
  modes: string;
  fee: string;
  onnx?: string;
  json?: boolean;
}

/** `model publish --generation`: the version's generation terms (docs/GENERATION.md §7). */
interface GenerationOptions {
  generation?: boolean;
  context?: string;
  maxTokens: string;
  maxPrompt: string;
  pad: string;
  stop: string;
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new CliError(`${flag} '${text}' is not an integer in [${min}, ${max}]`, `e.g. ${flag} ${Math.min(max, 64)}`);
  return Number(text);
}

/** The generation terms of `--generation` (context: the program's own unless given, and it must agree). */
export function generationTerms(program: Program, opts: GenerationOptions): GenerationTerms {
  let programContext: number;
  try {
    programContext = contextLength(program);
  } catch (e) {
    throw new CliError(
      `--generation: ${(e as Error).message}`,
      "a generation version needs a byte-level language model (token ids in, 256 logits out)",
    );
  }
  const context = opts.context === undefined ? programContext : parseInteger(opts.context, "--context", 1, 65535);
  if (context !== programContext)
    throw new CliError(
      `--context ${context}, but the program reads ${programContext} bytes of context`,
      `drop --context or pass ${programContext}`,
    );
  const stop = opts.stop.toLowerCase() === "none" ? undefined : parseInteger(opts.stop, "--stop", 0, 255);
  return {
    contextLength: context,
    maxTokens: parseInteger(opts.maxTokens, "--max-tokens", 1, 255),
    maxPrompt: parseInteger(opts.maxPrompt, "--max-prompt", 0, 255),
    padByte: parseInteger(opts.pad, "--pad", 0, 255),
    ...(stop === undefined ? {} : { stopByte: stop }),
  };
}

function findArtifact(dir: string, cid: string, explicit?: string): Uint8Array | undefined {
  if (explicit !== undefined) {
    if (!fs.existsSync(explicit))
      throw new CliError(`--onnx '${explicit}' does not exist`, "pass the .onnx file the program was imported from");
    const bytes = new Uint8Array(fs.readFileSync(explicit));
    if (cidOf(bytes) !== cid) {
      throw new CliError(
        `--onnx '${explicit}' has CID ${cidOf(bytes)}, but the program was imported from ${cid}`,
        "pass the very .onnx file given to `verity model import`",
      );
    }
    return bytes;
  }
  for (const f of fs.readdirSync(dir)) {
    if (!f.toLowerCase().endsWith(".onnx")) continue;
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, f)));
    if (cidOf(bytes) === cid) return bytes;
  }
  return undefined;
}

async function publish(dir: string, opts: PublishOptions, cmd: Command): Promise<void> {
  const { program, manifest } = readProgramDir(dir);
  const artifact = findArtifact(dir, manifest.artifactCid, opts.onnx);
  const modes = parseModes(opts.modes);
  const terms = opts.generation ? generationTerms(program, opts) : null;
  if (terms && (modes & MODE_BITS.zk) !== 0)
    throw new CliError(
      "--generation with mode zk: the registry refuses ZK for generation versions",
      "use --modes optimistic,none (or tee)",
    );
  const p = await connect(globalsOf(cmd), { needKey: true });
  const owner = signerOf(p).address;
  const fee = parseAmount(opts.fee, p.decimals, "--fee");
  if (fee === 0n) {
    throw new CliError(
      "--fee 0: the InferenceManager refuses every request that pays no fee, so nobody could use this version",
      "set a positive fee, e.g. --fee 1 (any amount, such as 0.001)",
    );
  }
  const bytes = encodeProgram(program);
  const stored = storeProgram(bytes, manifest, artifact);
  if (!artifact) {
    process.stderr.write(
      `warning: the ONNX artifact ${manifest.artifactCid} was not found (pass --onnx <file>); only the program is stored\n`,
    );
  }
  const spec = {
    artifactCid: cidBytes(manifest.artifactCid),
    programDigest: manifest.programDigest,
    weightsRoot: manifest.weightsRoot,
    layerCount: program.layers.length,
    // A generation version registers its request and response records' lengths as its shapes.
    inputShape: terms ? [recordLengths(terms).input] : [...program.inputShape],
    outputShape: terms ? [recordLengths(terms).output] : [...program.outputShape],
    modes,
    fee,
  };
  const generation = terms && generationSpecOf(terms);
  const existing = await read("modelIdOf", () => p.modelRegistry.modelIdOf(owner, opts.name));
  const m = p.modelRegistry;
  const receipt =
    existing > 0n
      ? await send(`publish${generation ? "Generation" : ""}Version of '${opts.name}' (model ${existing})`, () =>
          generation ? m.publishGenerationVersion(existing, spec, generation) : m.publishVersion(existing, spec),
        )
      : await send(`publish${generation ? "Generation" : ""}Model '${opts.name}'`, () =>
          generation ? m.publishGenerationModel(opts.name, spec, generation) : m.publishModel(opts.name, spec),
        );
  const published = findEvent(receipt.logs, p.modelRegistry.interface, "ModelVersionPublished");
  if (!published)
    throw new CliError(
      "the registry emitted no ModelVersionPublished",
      "check the ModelRegistry address in the deployment file",
    );
  const modelId = published.args.modelId as bigint;
  const versionId = published.args.versionId as bigint;
  const number = published.args.number as bigint;
  const out = {
    modelId,
    versionId,
    number,
    name: opts.name,
    owner,
    artifactCid: manifest.artifactCid,
    programDigest: manifest.programDigest,
    weightsRoot: manifest.weightsRoot,
    modes: modeNames(modes),
    fee,
    generation: terms,
    store: stored,
    tx: receipt.hash,
    gasUsed: receipt.gasUsed,
  };
  if (opts.json) {
    process.stdout.write(toJson(out) + "\n");
    return;
  }
  process.stdout.write(
    `published '${opts.name}' ${existing > 0n ? `version ${number}` : "(new model)"}: model ${modelId}, version ${versionId}\n` +
      `  artifact ${manifest.artifactCid}, program digest ${manifest.programDigest}\n` +
      `  modes ${modeNames(modes)}, fee ${formatAmount(fee, p.decimals, p.symbol)}, stored in ${stored}\n` +
      (terms
        ? `  generation: context ${terms.contextLength}, up to ${terms.maxTokens} bytes after a prompt of up to ` +
          `${terms.maxPrompt}, pad ${terms.padByte}, stop ${terms.stopByte ?? "none"}\n`
        : "") +
      `  tx ${receipt.hash} (gas ${receipt.gasUsed})\n`,
  );
}

export interface VersionRow {
  modelId: bigint;
  name: string;
  owner: string;
  versionId: bigint;
  number: bigint;
  artifactCid: string;
  programDigest: string;
  weightsRoot: string;
  layerCount: bigint;
  inputShape: bigint[];
  outputShape: bigint[];
  modes: string;
  fee: bigint;
  deprecated: boolean;
  stored: boolean;
  /** A generation version's terms (docs/GENERATION.md §7), or null for a version that takes tensors. */
  generation: GenerationTerms | null;
}

export async function listVersions(p: Protocol, limit: number): Promise<{ rows: VersionRow[]; modelCount: bigint }> {
  const modelCount = await read("modelCount", () => p.modelRegistry.modelCount());
  const ids = await read("listModels", () => p.modelRegistry.listModels(0, limit));
  const rows: VersionRow[] = [];
  for (const id of ids) {
    const m = await read("getModel", () => p.modelRegistry.getModel(id));
    for (const vid of m.versionIds.slice(0, limit)) {
      const v = await read("getVersion", () => p.modelRegistry.getVersion(vid));
      const g = await read("generationOf", () => p.modelRegistry.generationOf(vid));
      rows.push({
        modelId: id,
        name: m.name,
        owner: m.owner,
        versionId: vid,
        number: v.number,
        artifactCid: cidToString(new Uint8Array(Buffer.from(v.artifactCid.slice(2), "hex"))),
        programDigest: v.programDigest,
        weightsRoot: v.weightsRoot,
        layerCount: v.layerCount,
        inputShape: [...v.inputShape],
        outputShape: [...v.outputShape],
        modes: modeNames(v.modes),
        fee: v.fee,
        deprecated: v.deprecated,
        stored: hasStoredProgram(hexlify(v.artifactCid), v.programDigest),
        generation: termsOfSpec(g),
      });
    }
  }
  return { rows, modelCount };
}

async function list(opts: { json?: boolean; limit: string }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  const { rows, modelCount } = await listVersions(p, Number(opts.limit));
  if (opts.json) {
    process.stdout.write(toJson({ modelCount, versions: rows }) + "\n");
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(
      "no models published yet (publish one with `verity model publish <program dir> --name <name>`)\n",
    );
    return;
  }
  process.stdout.write(
    formatTable(
      ["model", "name", "version", "#", "program digest", "steps", "shapes", "modes", "fee", "deprecated", "local"],
      rows.map((r) => [
        String(r.modelId),
        r.name,
        String(r.versionId),
        String(r.number),
        `${r.programDigest.slice(0, 12)}…`,
        String(r.layerCount),
        r.generation
          ? `text: prompt <= ${r.generation.maxPrompt} B -> <= ${r.generation.maxTokens} B`
          : `[${r.inputShape.join(",")}]->[${r.outputShape.join(",")}]`,
        r.modes,
        formatAmount(r.fee, p.decimals, p.symbol),
        r.deprecated ? "yes" : "no",
        r.stored ? "stored" : "-",
      ]),
    ),
  );
}

async function deprecate(id: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  if (!/^\d+$/.test(id) || BigInt(id) === 0n) {
    throw new CliError(`version id '${id}' is not an id`, "ids are positive integers (`verity model list`)");
  }
  const versionId = BigInt(id);
  const p = await connect(globalsOf(cmd), { needKey: true });
  const v = await read(`getVersion(${versionId})`, () => p.modelRegistry.getVersion(versionId));
  if (v.deprecated) throw new CliError(`version ${versionId} is already deprecated`, "see `verity model list`");
  const receipt = await send(`deprecateVersion(${versionId})`, () => p.modelRegistry.deprecateVersion(versionId));
  if (opts.json) {
    process.stdout.write(toJson({ versionId, deprecated: true, tx: receipt.hash }) + "\n");
    return;
  }
  process.stdout.write(
    `version ${versionId} deprecated: no new requests; open ones are still served and settled (tx ${receipt.hash})\n`,
  );
}

export function registerModelRegistryCommands(model: Command): void {
  model
    .command("deprecate")
    .description("deprecate a version you own: no new requests (open ones are still served and settled)")
    .argument("<versionId>", "version id (from `verity model list`)")
    .option("--json", "print {versionId, deprecated, tx} as one JSON line")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => deprecate(id, opts, cmd));
  model
    .command("publish")
    .description(
      "store a program directory (from `verity model import`) in .verity/store and register it as a model version",
    )
    .argument("<program dir>", "directory with program.bin and manifest.json")
    .requiredOption(
      "-n, --name <name>",
      "model name (a new model, or a new version of the caller's model of that name)",
    )
    .option(
      "--modes <list>",
      "verification modes the version supports: optimistic, none (comma-separated)",
      "optimistic,none",
    )
    .option("--fee <amount>", "fee per inference, in tokens", "1")
    .option("--onnx <file>", "the source .onnx (default: a .onnx in the program dir whose CID matches the manifest)")
    .option("--generation", "publish a text-generation version of a byte-level language model (docs/GENERATION.md)")
    .option("--context <n>", "--generation: the program's context length in bytes (default: read from the program)")
    .option("--max-tokens <n>", "--generation: the most bytes one request may generate (1-255)", "64")
    .option("--max-prompt <n>", "--generation: the longest prompt in bytes (0-255)", "64")
    .option("--pad <byte>", "--generation: the byte a short window is left-padded with", "0")
    .option("--stop <byte>", "--generation: the byte that ends a generation (10 is a newline), or none", "10")
    .option("--json", "print {modelId, versionId, number, artifactCid, programDigest, store, tx, ...} as one JSON line")
    .action(async (dir: string, opts: PublishOptions, cmd: Command) => publish(dir, opts, cmd));
  model
    .command("list")
    .description(
      "models and their versions: digests, modes, fee, deprecated, and whether the program is in the local store",
    )
    .option("--limit <n>", "at most this many models (and versions per model)", "100")
    .option("--json", "print {modelCount, versions: [...]} as one JSON line")
    .action(async (opts: { json?: boolean; limit: string }, cmd: Command) => list(opts, cmd));
}
