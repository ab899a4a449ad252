/**
 * `verity params show` (every governance parameter of every contract, with its bounds) and
 * `verity params set <contract>.<name> <value>` (GOVERNOR_ROLE).
 */
import type { Command } from "commander";
import { isAddress, ZeroAddress, type ContractTransactionResponse } from "ethers";
import type { IRedundantManager, RedundantManager, TeeSettler } from "../../typechain-types";
import { VerificationModes } from "../../protocol/constants";
import { attach } from "../../protocol/contracts";
import { connect, type Protocol, read, send, signerOf } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { formatAmount, parseAmount, toJson } from "../values";
import { formatTable } from "../table";

type Kind = "tokens" | "seconds" | "count" | "ppm" | "address";

interface ParamSpec {
  contract: "Staking" | "InferenceManager" | "DisputeManager" | "TeeSettler" | "RedundantManager";
  name: string;
  kind: Kind;
  /** The value; null when the deployment has no such contract (the TEE settler and the RedundantManager are optional). */
  get(p: Protocol): Promise<bigint | string | null>;
  bounds(p: Protocol): Promise<[bigint, bigint] | null>;
  set(p: Protocol, v: bigint | string): Promise<ContractTransactionResponse>;
  /** The setter's name when it is not `set<Name>`. */
  setter?: string;
}

/** The TEE mode's settler (`InferenceManager.modeSettler(TEE)`), or null when the mode has none. */
async function teeSettler(p: Protocol): Promise<TeeSettler | null> {
  const address = await p.inferenceManager.modeSettler(VerificationModes.TEE);
  return address === ZeroAddress ? null : attach("TeeSettler", address, p.inferenceManager.runner);
}

function redundantManager(p: Protocol): RedundantManager | null {
  const address = p.addresses.redundantManager;
  return address ? attach("RedundantManager", address, p.inferenceManager.runner) : null;
}

type RedundantField = keyof IRedundantManager.ParamsStruct;

/** A RedundantManager parameter: one field of its `Params`, set by `setParameters` with the others unchanged. */
function redundantParam(
  name: RedundantField,
  kind: Kind,
  bounds: (r: RedundantManager) => Promise<[bigint, bigint]>,
): ParamSpec {
  return {
    contract: "RedundantManager",
    name,
    kind,
    setter: "setParameters",
    get: async (p) => {
      const r = redundantManager(p);
      return r ? BigInt((await r.parameters())[name]) : null;
    },
    bounds: async (p) => {
      const r = redundantManager(p);
      return r ? bounds(r) : null;
    },
    set: async (p, v) => {
      const r = redundantManager(p)!;
      const current = await r.parameters();
      const next: IRedundantManager.ParamsStruct = {
        maxNodes: current.maxNodes,
        collateralMultiplier: current.collateralMultiplier,
        commitTimeout: current.commitTimeout,
        moveClock: current.moveClock,
        clockExtension: current.clockExtension,
        rewardPpm: current.rewardPpm,
      };
      next[name] = v as bigint;
      return r.setParameters(next);
    },
  };
}

const PARAMS: ParamSpec[] = [
  {
    contract: "Staking",
    name: "minimumStake",
    kind: "tokens",
    get: (p) => p.staking.minimumStake(),
    bounds: async (p) => [await p.staking.MIN_MINIMUM_STAKE(), await p.staking.MAX_MINIMUM_STAKE()],
    set: (p, v) => p.staking.setMinimumStake(v as bigint),
  },
  {
    contract: "Staking",
    name: "thawingPeriod",
    kind: "seconds",
    get: (p) => p.staking.thawingPeriod(),
    bounds: async (p) => [await p.staking.MIN_THAWING_PERIOD(), await p.staking.MAX_THAWING_PERIOD()],
    set: (p, v) => p.staking.setThawingPeriod(v as bigint),
  },
  {
    contract: "Staking",
    name: "maxThawRequests",
    kind: "count",
    get: (p) => p.staking.maxThawRequests(),
    bounds: async (p) => [1n, await p.staking.MAX_THAW_REQUESTS_CAP()],
    set: (p, v) => p.staking.setMaxThawRequests(v as bigint),
  },
  {
    contract: "Staking",
    name: "treasury",
    kind: "address",
    get: (p) => p.staking.treasury(),
    bounds: async () => null,
    set: (p, v) => p.staking.setTreasury(v as string),
  },
  {
    contract: "InferenceManager",
    name: "challengeWindow",
    kind: "seconds",
    get: (p) => p.inferenceManager.challengeWindow(),
    bounds: async (p) => [
      await p.inferenceManager.MIN_CHALLENGE_WINDOW(),
      await p.inferenceManager.MAX_CHALLENGE_WINDOW(),
    ],
    set: (p, v) => p.inferenceManager.setChallengeWindow(v as bigint),
  },
  {
    contract: "InferenceManager",
    name: "requestTimeout",
    kind: "seconds",
    get: (p) => p.inferenceManager.requestTimeout(),
    bounds: async (p) => [
      await p.inferenceManager.MIN_REQUEST_TIMEOUT(),
      await p.inferenceManager.MAX_REQUEST_TIMEOUT(),
    ],
    set: (p, v) => p.inferenceManager.setRequestTimeout(v as bigint),
  },
  {
    contract: "InferenceManager",
    name: "collateralMultiplier",
    kind: "count",
    get: (p) => p.inferenceManager.collateralMultiplier(),
    bounds: async (p) => [
      await p.inferenceManager.MIN_COLLATERAL_MULTIPLIER(),
      await p.inferenceManager.MAX_COLLATERAL_MULTIPLIER(),
    ],
    set: (p, v) => p.inferenceManager.setCollateralMultiplier(v as bigint),
  },
  {
    contract: "InferenceManager",
    name: "maxCallbackGas",
    kind: "count",
    get: (p) => p.inferenceManager.maxCallbackGas(),
    bounds: async (p) => [
      await p.inferenceManager.MIN_MAX_CALLBACK_GAS(),
      await p.inferenceManager.MAX_MAX_CALLBACK_GAS(),
    ],
    set: (p, v) => p.inferenceManager.setMaxCallbackGas(v as bigint),
  },
  {
    contract: "InferenceManager",
    name: "serveTimeout",
    kind: "seconds",
    get: (p) => p.inferenceManager.serveTimeout(),
    bounds: async (p) => [await p.inferenceManager.MIN_SERVE_TIMEOUT(), await p.inferenceManager.MAX_SERVE_TIMEOUT()],
    set: (p, v) => p.inferenceManager.setServeTimeout(v as bigint),
  },
  {
    contract: "DisputeManager",
    name: "bond",
    kind: "tokens",
    get: (p) => p.disputeManager.bond(),
    bounds: async (p) => [await p.disputeManager.MIN_BOND(), await p.disputeManager.MAX_BOND()],
    set: (p, v) => p.disputeManager.setBond(v as bigint),
  },
  {
    contract: "DisputeManager",
    name: "moveClock",
    kind: "seconds",
    get: (p) => p.disputeManager.moveClock(),
    bounds: async (p) => [await p.disputeManager.MIN_MOVE_CLOCK(), await p.disputeManager.MAX_MOVE_CLOCK()],
    set: (p, v) => p.disputeManager.setMoveClock(v as bigint),
  },
  {
    contract: "DisputeManager",
    name: "clockExtension",
    kind: "seconds",
    get: (p) => p.disputeManager.clockExtension(),
    bounds: async (p) => [await p.disputeManager.MIN_CLOCK_EXTENSION(), await p.disputeManager.MAX_CLOCK_EXTENSION()],
    set: (p, v) => p.disputeManager.setClockExtension(v as bigint),
  },
  {
    contract: "DisputeManager",
    name: "rewardPpm",
    kind: "ppm",
    get: (p) => p.disputeManager.rewardPpm(),
    bounds: async (p) => [0n, await p.disputeManager.MAX_REWARD_PPM()],
    set: (p, v) => p.disputeManager.setRewardPpm(v as bigint),
  },
  {
    contract: "DisputeManager",
    name: "bondPpm",
    kind: "ppm",
    get: (p) => p.disputeManager.bondPpm(),
    bounds: async (p) => [0n, await p.disputeManager.MAX_BOND_PPM()],
    set: (p, v) => p.disputeManager.setBondPpm(v as bigint),
  },
  {
    contract: "TeeSettler",
    name: "equivocationSlash",
    kind: "tokens",
    get: async (p) => (await teeSettler(p))?.equivocationSlash() ?? null,
    bounds: async (p) => {
      const t = await teeSettler(p);
      return t ? [await t.MIN_EQUIVOCATION_SLASH(), await t.MAX_EQUIVOCATION_SLASH()] : null;
    },
    set: async (p, v) => (await teeSettler(p))!.setEquivocationSlash(v as bigint),
  },
  {
    contract: "TeeSettler",
    name: "equivocationRewardPpm",
    kind: "ppm",
    get: async (p) => (await teeSettler(p))?.equivocationRewardPpm() ?? null,
    bounds: async (p) => {
      const t = await teeSettler(p);
      return t ? [0n, await t.MAX_REWARD_PPM()] : null;
    },
    set: async (p, v) => (await teeSettler(p))!.setEquivocationReward(v as bigint),
    setter: "setEquivocationReward",
  },
  redundantParam("maxNodes", "count", async (r) => [2n, await r.MAX_NODES()]),
  redundantParam("collateralMultiplier", "count", async (r) => [1n, await r.MAX_COLLATERAL_MULTIPLIER()]),
  redundantParam("commitTimeout", "seconds", async (r) => [await r.MIN_COMMIT_TIMEOUT(), await r.MAX_COMMIT_TIMEOUT()]),
  redundantParam("moveClock", "seconds", async (r) => [await r.MIN_MOVE_CLOCK(), await r.MAX_MOVE_CLOCK()]),
  redundantParam("clockExtension", "seconds", async (r) => [
    await r.MIN_CLOCK_EXTENSION(),
    await r.MAX_CLOCK_EXTENSION(),
  ]),
  redundantParam("rewardPpm", "ppm", async (r) => [0n, await r.MAX_REWARD_PPM()]),
];

function show(kind: Kind, v: bigint | string | null, p: Protocol): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (kind === "tokens") return formatAmount(v, p.decimals, p.symbol);
  if (kind === "seconds") return `${v} s`;
  if (kind === "ppm") return `${v} ppm`;
  return v.toString();
}

export interface ParamRow {
  contract: string;
  name: string;
  kind: Kind;
  value: string;
  min: string | null;
  max: string | null;
}

/** Every parameter of the deployment's contracts (those of the optional TeeSettler and RedundantManager when present). */
export async function readParams(p: Protocol): Promise<ParamRow[]> {
  const rows = await Promise.all(
    PARAMS.map(async (s): Promise<ParamRow | null> => {
      const value = await read(`${s.contract}.${s.name}`, () => s.get(p));
      if (value === null) return null;
      const b = await read(`${s.contract}.${s.name} bounds`, () => s.bounds(p));
      return {
        contract: s.contract,
        name: s.name,
        kind: s.kind,
        value: String(value),
        min: b ? String(b[0]) : null,
        max: b ? String(b[1]) : null,
      };
    }),
  );
  return rows.filter((r): r is ParamRow => r !== null);
}

async function paramsShow(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  const rows = await readParams(p);
  const game = await read("maxGameDuration", () => p.disputeManager.maxGameDuration());
  if (opts.json) {
    process.stdout.write(toJson({ chainId: p.chainId, parameters: rows, maxGameDuration: game }) + "\n");
    return;
  }
  const val = (r: ParamRow, v: string | null) =>
    v === null ? "" : show(r.kind, r.kind === "address" ? v : BigInt(v), p);
  process.stdout.write(
    formatTable(
      ["parameter", "value", "min", "max"],
      rows.map((r) => [`${r.contract}.${r.name}`, val(r, r.value), val(r, r.min), val(r, r.max)]),
    ),
  );
  const window = BigInt(rows.find((r) => r.name === "challengeWindow")!.value);
  const thawing = BigInt(rows.find((r) => r.name === "thawingPeriod")!.value);
  const ok = thawing >= window + 2n * game;
  process.stdout.write(
    `\nmaxGameDuration ${game} s; thawingPeriod ${thawing} s ${ok ? ">=" : "<"} challengeWindow + 2 x maxGameDuration = ${window + 2n * game} s` +
      (ok ? "\n" : "  (WARNING: stake could leave before a dispute ends; see docs/DEPLOYER.md)\n"),
  );
}

async function paramsSet(target: string, value: string, _opts: unknown, cmd: Command): Promise<void> {
  const [contract, name] = target.split(".");
  const spec = PARAMS.find(
    (s) => s.contract.toLowerCase() === contract?.toLowerCase() && s.name.toLowerCase() === name?.toLowerCase(),
  );
  if (!spec) {
    throw new CliError(
      `unknown parameter '${target}'`,
      `choose one of ${PARAMS.map((s) => `${s.contract}.${s.name}`).join(", ")}`,
    );
  }
  const p = await connect(globalsOf(cmd), { needKey: true });
  signerOf(p);
  let v: bigint | string;
  if (spec.kind === "address") {
    if (!isAddress(value))
      throw new CliError(`'${value}' is not an address`, "addresses are 0x followed by 40 hex digits (0x000…0 burns)");
    v = value;
  } else if (spec.kind === "tokens") v = parseAmount(value, p.decimals, spec.name);
  else {
    if (!/^\d+$/.test(value))
      throw new CliError(`'${value}' is not a non-negative integer`, `${spec.name} is in ${spec.kind}`);
    v = BigInt(value);
  }
  const before = await spec.get(p);
  if (before === null) {
    throw new CliError(
      `this deployment has no ${spec.contract}`,
      `check --deployment, or deploy it (ignition/modules/Protocol.ts)`,
    );
  }
  const setter = spec.setter ?? `set${spec.name[0].toUpperCase()}${spec.name.slice(1)}`;
  const receipt = await send(`${spec.contract}.${setter}`, () => spec.set(p, v));
  const after = await spec.get(p);
  process.stdout.write(
    `${spec.contract}.${spec.name}: ${show(spec.kind, before, p)} -> ${show(spec.kind, after, p)} (tx ${receipt.hash}, gas ${receipt.gasUsed})\n`,
  );
}

export function registerParamsCommands(cli: Command): void {
  const params = cli.command("params").description("deployers: show and set the protocol's governance parameters");
  params
    .command("show")
    .description(
      "every parameter of every contract (TeeSettler and RedundantManager when deployed), with its bounds, and the thawing-period rule",
    )
    .option("--json", "print {chainId, parameters: [{contract, name, kind, value, min, max}], maxGameDuration}")
    .action(async (opts: { json?: boolean }, cmd: Command) => paramsShow(opts, cmd));
  params
    .command("set")
    .description(
      "set one parameter (needs GOVERNOR_ROLE): e.g. `verity params set InferenceManager.challengeWindow 7200`",
    )
    .argument("<contract.name>", `one of ${PARAMS.map((s) => `${s.contract}.${s.name}`).join(", ")}`)
    .argument(
      "<value>",
      "tokens for minimumStake, bond and equivocationSlash (e.g. 1000 or 0.5), seconds, counts, ppm, or an address",
    )
    .action(async (target: string, value: string, opts: unknown, cmd: Command) => paramsSet(target, value, opts, cmd));
}
