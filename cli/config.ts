/**
 * The CLI's configuration (docs/CLI.md, "Configuration"), by precedence: flags (`--rpc`, `--key`, `--deployment`),
 * then the environment (`VERITY_RPC_URL`, `VERITY_PRIVATE_KEY`, `VERITY_DEPLOYMENT`), then the config file
 * (`--config <file>`, or `$VERITY_HOME/config.json`, `VERITY_HOME` defaulting to `.verity` in the current directory),
 * then defaults (RPC `http://127.0.0.1:8545`; contracts from Ignition's
 * `ignition/deployments/chain-<chainId>/deployed_addresses.json`).
 */
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";

import { CliError } from "./errors";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** The global options every chain command sees (registered on the root command). */
export interface GlobalOptions {
  rpc?: string;
  key?: string;
  deployment?: string;
  config?: string;
}

export interface ConfigFile {
  rpc?: string;
  key?: string;
  deployment?: string;
}

export interface Settings {
  rpc: string;
  key?: string;
  deployment?: string;
}

export function verityHome(): string {
  return path.resolve(process.env.VERITY_HOME ?? ".verity");
}

export function storeDir(): string {
  return path.join(verityHome(), "store");
}

/** The keys a config file may hold: anything else is a typo, refused by name rather than silently ignored. */
const CONFIG_KEYS: readonly string[] = ["rpc", "key", "deployment"];

class UnknownKeysError extends Error {
  constructor(readonly keys: string[]) {
    super(`unknown keys ${keys.join(", ")}`);
  }
}

function readConfig(file: string | undefined): ConfigFile {
  const explicit = file !== undefined;
  const p = file ?? path.join(verityHome(), "config.json");
  if (!fs.existsSync(p)) {
    if (explicit) throw new CliError(`config file '${p}' does not exist`, "check the path given to --config");
    return {};
  }
  try {
    const json = JSON.parse(fs.readFileSync(p, "utf8")) as unknown;
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not a JSON object");
    const unknown = Object.keys(json).filter((k) => !CONFIG_KEYS.includes(k));
    if (unknown.length > 0) throw new UnknownKeysError(unknown);
    for (const k of CONFIG_KEYS) {
      const v = (json as Record<string, unknown>)[k];
      if (v !== undefined && typeof v !== "string") throw new Error(`"${k}" must be a string`);
    }
    return json as ConfigFile;
  } catch (e) {
    if (e instanceof UnknownKeysError) {
      throw new CliError(
        `config file '${p}' has unknown key(s): ${e.keys.map((k) => `"${k}"`).join(", ")}`,
        `the keys are ${CONFIG_KEYS.map((k) => `"${k}"`).join(", ")} (docs/CLI.md, "Configuration"); remove or rename the others`,
      );
    }
    throw new CliError(
      `config file '${p}' is not valid: ${(e as Error).message}`,
      'it must be a JSON object such as {"rpc": "http://127.0.0.1:8545"}',
    );
  }
}

/** Flags, then environment, then config file, then defaults. */
export function resolveSettings(opts: GlobalOptions): Settings {
  const cfg = readConfig(opts.config);
  const pick = (flag: string | undefined, env: string | undefined, file: string | undefined) =>
    [flag, env, file].find((v) => v !== undefined && v !== "");
  return {
    rpc: pick(opts.rpc, process.env.VERITY_RPC_URL, cfg.rpc) ?? DEFAULT_RPC_URL,
    key: pick(opts.key, process.env.VERITY_PRIVATE_KEY, cfg.key),
    deployment: pick(opts.deployment, process.env.VERITY_DEPLOYMENT, cfg.deployment),
  };
}

/** Registers the global connection options on the root command. */
export function addGlobalOptions(cli: Command): void {
  cli
    .option("--rpc <url>", `JSON-RPC URL (env VERITY_RPC_URL; default ${DEFAULT_RPC_URL})`)
    .option("--key <hex>", "private key that signs transactions (env VERITY_PRIVATE_KEY)")
    .option(
      "--deployment <file>",
      "contract addresses: an Ignition deployed_addresses.json or its folder (env VERITY_DEPLOYMENT)",
    )
    .option(
      "--config <file>",
      "config file with rpc, key, deployment (default $VERITY_HOME/config.json, VERITY_HOME=.verity)",
    );
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}
