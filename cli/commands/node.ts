/**
 * Operators: `verity node stake|register|unserve|status|thaw|withdraw|exit`, and governance's `verity node unjail`.
 * (`node serve`, the daemon, lives elsewhere.)
 */
import type { Command } from "commander";
import { NodeStatus } from "../../protocol/constants";
import { signPermit } from "../../protocol/permit";
import { connect, type Protocol, read, send, signerOf } from "../chain";
import { globalsOf, storeDir } from "../config";
import { hasStoredProgram } from "../store";
import { CliError } from "../errors";
import { formatAmount, parseAddress, parseAmount, toJson } from "../values";
import { formatPairs, formatTable } from "../table";

function done(p: Protocol, lines: [string, string][], json: boolean | undefined, obj: Record<string, unknown>): void {
  if (json) process.stdout.write(toJson(obj) + "\n");
  else process.stdout.write(formatPairs(lines));
  void p;
}

async function stake(amountText: string, opts: { permit?: boolean; json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const amount = parseAmount(amountText, p.decimals, "amount");
  if (amount === 0n) throw new CliError("the amount is zero", "stake a positive amount, e.g. `verity node stake 1000`");
  const balance = await p.token.balanceOf(me.address);
  if (balance < amount) {
    throw new CliError(
      `${me.address} holds ${formatAmount(balance, p.decimals, p.symbol)}, less than ${formatAmount(amount, p.decimals, p.symbol)}`,
      "get tokens first (on a local deployment the deployer holds the supply and can transfer them)",
    );
  }
  const stakingAddress = await p.staking.getAddress();
  let receipt;
  if (opts.permit) {
    const deadline = BigInt((await p.provider.getBlock("latest"))!.timestamp + 3600);
    const { v, r, s } = await signPermit(p.token, me, stakingAddress, amount, deadline);
    receipt = await send("stakeWithPermit", () => p.staking.stakeWithPermit(amount, deadline, v, r, s));
  } else {
    const allowance = await p.token.allowance(me.address, stakingAddress);
    if (allowance < amount) await send("approve Staking", () => p.token.approve(stakingAddress, amount));
    receipt = await send("stake", () => p.staking.stake(amount));
  }
  const total = await p.staking.totalStake(me.address);
  const free = await p.staking.freeStake(me.address);
  const min = await p.staking.minimumStake();
  done(
    p,
    [
      ["staked", formatAmount(amount, p.decimals, p.symbol)],
      ["total stake", formatAmount(total, p.decimals, p.symbol)],
      [
        "free stake",
        `${formatAmount(free, p.decimals, p.symbol)} (minimum to serve: ${formatAmount(min, p.decimals, p.symbol)})`,
      ],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, staked: amount, totalStake: total, freeStake: free, minimumStake: min, tx: receipt.hash },
  );
}

function parseVersions(text: string): bigint[] {
  const ids = text.split(/[,\s]+/).filter(Boolean);
  if (ids.length === 0 || ids.some((s) => !/^\d+$/.test(s) || BigInt(s) === 0n)) {
    throw new CliError(
      `--serve '${text}' is not a list of version ids`,
      "e.g. --serve 1,2 (ids from `verity model list`)",
    );
  }
  return ids.map((s) => BigInt(s));
}

/**
 * Refuses versions whose program is not in the local store: the node daemon could not serve them (it would log an
 * error every tick until the request expired). `--no-store-check` skips it, for a node whose daemon runs elsewhere.
 */
async function checkStored(p: Protocol, versions: bigint[]): Promise<void> {
  for (const id of versions) {
    const v = await read(`getVersion(${id})`, () => p.modelRegistry.getVersion(id));
    if (!hasStoredProgram(v.artifactCid, v.programDigest)) {
      throw new CliError(
        `the program of version ${id} is not in the local store ${storeDir()}, so this node's daemon could not serve it`,
        "copy the version's folder from the publisher's .verity/store (or publish it from here), or pass --no-store-check if the daemon runs on another machine",
      );
    }
  }
}

async function register(
  opts: { endpoint: string; serve: string; storeCheck: boolean; json?: boolean },
  cmd: Command,
): Promise<void> {
  const versions = parseVersions(opts.serve);
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  if (opts.storeCheck) await checkStored(p, versions);
  const status = NodeStatus[Number(await p.nodeRegistry.statusOf(me.address))];
  const receipt =
    status === "Active"
      ? await (async () => {
          process.stderr.write(`${me.address} is already Active: updating its endpoint and served versions\n`);
          const node = await p.nodeRegistry.getNode(me.address);
          if (node.endpoint !== opts.endpoint)
            await send("setEndpoint", () => p.nodeRegistry.setEndpoint(opts.endpoint));
          const missing = versions.filter((v) => !node.servedVersions.includes(v));
          if (missing.length === 0)
            throw new CliError(`${me.address} already serves ${versions.join(", ")}`, "see `verity node status`");
          return send("serveVersions", () => p.nodeRegistry.serveVersions(missing));
        })()
      : await send("register", () => p.nodeRegistry.register(opts.endpoint, versions));
  done(
    p,
    [
      ["node", me.address],
      ["status", NodeStatus[Number(await p.nodeRegistry.statusOf(me.address))]],
      ["endpoint", opts.endpoint],
      ["serves", versions.join(", ")],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, endpoint: opts.endpoint, versions, tx: receipt.hash },
  );
}

export interface NodeReport {
  address: string;
  status: string;
  endpoint: string;
  servedVersions: bigint[];
  registeredAt: bigint;
  exitRequestedAt: bigint;
  stake: { total: bigint; free: bigint; locked: bigint; thawing: bigint; withdrawable: bigint; minimum: bigint };
  thawRequests: { tokens: bigint; thawingUntil: bigint }[];
  credits: { inference: bigint; disputes: bigint };
  walletBalance: bigint;
}

export async function nodeReport(p: Protocol, address: string): Promise<NodeReport> {
  const n = await read("getNode", () => p.nodeRegistry.getNode(address));
  const s = p.staking;
  const [total, free, locked, thawing, withdrawable, minimum, requests, c1, c2, balance] = await Promise.all([
    s.totalStake(address),
    s.freeStake(address),
    s.lockedStake(address),
    s.thawingStake(address),
    s.withdrawableStake(address),
    s.minimumStake(),
    s.thawRequests(address),
    p.inferenceManager.credits(address),
    p.disputeManager.credits(address),
    p.token.balanceOf(address),
  ]);
  return {
    address,
    status: NodeStatus[Number(n.status)] ?? String(n.status),
    endpoint: n.endpoint,
    servedVersions: [...n.servedVersions],
    registeredAt: n.registeredAt,
    exitRequestedAt: n.exitRequestedAt,
    stake: { total, free, locked, thawing, withdrawable, minimum },
    thawRequests: requests.map((r) => ({ tokens: r.tokens, thawingUntil: r.thawingUntil })),
    credits: { inference: c1, disputes: c2 },
    walletBalance: balance,
  };
}

async function status(address: string | undefined, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  let who: string;
  if (address !== undefined) who = parseAddress(address, "node");
  else if (p.wallet) who = p.wallet.address;
  else
    throw new CliError(
      "no node address given and no key configured",
      "pass the address (`verity node status 0x…`) or --key",
    );
  const r = await nodeReport(p, who);
  if (opts.json) {
    process.stdout.write(toJson(r) + "\n");
    return;
  }
  const amt = (v: bigint) => formatAmount(v, p.decimals, p.symbol);
  const now = BigInt((await p.provider.getBlock("latest"))!.timestamp);
  process.stdout.write(
    formatPairs([
      ["node", r.address],
      ["status", r.status],
      ["endpoint", r.endpoint || "-"],
      ["serves", r.servedVersions.length ? r.servedVersions.join(", ") : "-"],
      ["stake total", amt(r.stake.total)],
      [
        "  free",
        `${amt(r.stake.free)}${r.stake.free < r.stake.minimum ? `  (below the minimum ${amt(r.stake.minimum)}: not eligible)` : ""}`,
      ],
      ["  locked", amt(r.stake.locked)],
      ["  thawing", amt(r.stake.thawing)],
      ["withdrawable", amt(r.stake.withdrawable)],
      ["credits", `${amt(r.credits.inference)} (inference), ${amt(r.credits.disputes)} (disputes)`],
      ["wallet", amt(r.walletBalance)],
    ]),
  );
  if (r.thawRequests.length > 0) {
    process.stdout.write(
      "\n" +
        formatTable(
          ["thaw request", "tokens", "withdrawable at", "in"],
          r.thawRequests.map((t, i) => [
            String(i + 1),
            amt(t.tokens),
            new Date(Number(t.thawingUntil) * 1000).toISOString(),
            t.thawingUntil <= now ? "now" : `${t.thawingUntil - now} s`,
          ]),
        ),
    );
  }
}

async function thaw(amountText: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const amount = parseAmount(amountText, p.decimals, "amount");
  const free = await p.staking.freeStake(me.address);
  if (amount > free) {
    const locked = await p.staking.lockedStake(me.address);
    throw new CliError(
      `${me.address} has ${formatAmount(free, p.decimals, p.symbol)} of free stake, less than the ${formatAmount(amount, p.decimals, p.symbol)} asked to thaw`,
      `thaw at most the free stake (${formatAmount(locked, p.decimals, p.symbol)} is locked as collateral and already-thawing stake does not count); see \`verity node status\``,
    );
  }
  const receipt = await send("thaw", () => p.staking.thaw(amount));
  const until = (await p.staking.thawRequests(me.address)).at(-1)?.thawingUntil ?? 0n;
  done(
    p,
    [
      ["thawing", formatAmount(amount, p.decimals, p.symbol)],
      ["withdrawable at", `${new Date(Number(until) * 1000).toISOString()} (still slashable until withdrawn)`],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, thawing: amount, thawingUntil: until, tx: receipt.hash },
  );
}

async function withdraw(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const before = await p.token.balanceOf(me.address);
  const receipt = await send("withdraw", () => p.staking.withdraw());
  const got = (await p.token.balanceOf(me.address)) - before;
  done(
    p,
    [
      ["withdrawn", formatAmount(got, p.decimals, p.symbol)],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, withdrawn: got, tx: receipt.hash },
  );
}

async function exitNode(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const status = NodeStatus[Number(await p.nodeRegistry.statusOf(me.address))];
  let action: string;
  let receipt;
  if (status === "Exiting") {
    const locked = await p.staking.lockedStake(me.address);
    if (locked > 0n) {
      throw new CliError(
        `${me.address} is Exiting but ${formatAmount(locked, p.decimals, p.symbol)} of collateral is still locked`,
        "keep serving (the node must honour its open commitments) until they settle, then run `verity node exit` again",
      );
    }
    action = "completeExit";
    receipt = await send("completeExit", () => p.nodeRegistry.completeExit());
  } else {
    action = "exit";
    receipt = await send("exit", () => p.nodeRegistry.exit());
  }
  const now = NodeStatus[Number(await p.nodeRegistry.statusOf(me.address))];
  done(
    p,
    [
      ["node", me.address],
      ["status", `${status} -> ${now}`],
      [
        "next",
        now === "Exiting"
          ? "honour open commitments, then `verity node exit` again"
          : "thaw and withdraw your stake (`verity node thaw`, `verity node withdraw`)",
      ],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, action, from: status, status: now, tx: receipt.hash },
  );
}

async function unserve(versionsText: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const versions = parseVersions(versionsText);
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const node = await read("getNode", () => p.nodeRegistry.getNode(me.address));
  const unknown = versions.filter((v) => !node.servedVersions.includes(v));
  if (unknown.length > 0) {
    throw new CliError(
      `${me.address} does not serve version(s) ${unknown.join(", ")}`,
      `it serves ${node.servedVersions.join(", ") || "nothing"} (\`verity node status\`)`,
    );
  }
  const receipt = await send("unserveVersions", () => p.nodeRegistry.unserveVersions(versions));
  const left = (await p.nodeRegistry.getNode(me.address)).servedVersions;
  done(
    p,
    [
      ["node", me.address],
      ["stopped serving", versions.join(", ")],
      ["serves", left.join(", ") || "(nothing)"],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: me.address, unserved: versions, servedVersions: left, tx: receipt.hash },
  );
}

async function unjail(address: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const operator = parseAddress(address, "address");
  const p = await connect(globalsOf(cmd), { needKey: true });
  const status = NodeStatus[Number(await p.nodeRegistry.statusOf(operator))];
  if (status !== "Jailed") {
    throw new CliError(`${operator} is ${status}, not Jailed`, "only a Jailed node can be released (`verity status`)");
  }
  const receipt = await send("unjail", () => p.nodeRegistry.unjail(operator));
  const now = NodeStatus[Number(await p.nodeRegistry.statusOf(operator))];
  done(
    p,
    [
      ["node", operator],
      ["status", `${status} -> ${now}`],
      ["tx", `${receipt.hash} (gas ${receipt.gasUsed})`],
    ],
    opts.json,
    { node: operator, from: status, status: now, tx: receipt.hash },
  );
}

export function registerNodeCommands(cli: Command): void {
  const node = cli.command("node").description("operators: stake, register, inspect, thaw, withdraw and exit a node");
  node
    .command("stake")
    .description("deposit stake from the key's account (approve + stake, or an EIP-2612 permit)")
    .argument("<amount>", "tokens, e.g. 1000 or 0.5")
    .option("--permit", "sign an EIP-2612 permit instead of sending an approval")
    .option("--json", "print the result as one JSON line")
    .action(async (amount: string, opts: { permit?: boolean; json?: boolean }, cmd: Command) =>
      stake(amount, opts, cmd),
    );
  node
    .command("register")
    .description("register the key's account as a node (needs the minimum free stake); an Active node adds versions")
    .requiredOption("-e, --endpoint <url>", "where requesters reach the node")
    .requiredOption("-s, --serve <versionIds>", "model version ids to serve, comma-separated")
    .option("--no-store-check", "do not require the versions' programs in the local store (the daemon runs elsewhere)")
    .option("--json", "print the result as one JSON line")
    .action(async (opts: { endpoint: string; serve: string; storeCheck: boolean; json?: boolean }, cmd: Command) =>
      register(opts, cmd),
    );
  node
    .command("unserve")
    .description("stop serving model versions (open commitments must still be honoured)")
    .argument("<versionIds>", "version ids, comma-separated")
    .option("--json", "print the result as one JSON line")
    .action(async (versions: string, opts: { json?: boolean }, cmd: Command) => unserve(versions, opts, cmd));
  node
    .command("unjail")
    .description("governance: release a Jailed node back to Active (a key holding GOVERNOR_ROLE)")
    .argument("<address>", "the jailed node")
    .option("--json", "print the result as one JSON line")
    .action(async (address: string, opts: { json?: boolean }, cmd: Command) => unjail(address, opts, cmd));
  node
    .command("status")
    .description(
      "a node's status, endpoint, served versions, stake (total/free/locked/thawing), withdrawable stake and thaw requests",
    )
    .argument("[address]", "node address (default: the key's account)")
    .option("--json", "print the report as one JSON line")
    .action(async (address: string | undefined, opts: { json?: boolean }, cmd: Command) => status(address, opts, cmd));
  node
    .command("thaw")
    .description("start thawing free stake (withdrawable after the thawing period; slashable until then)")
    .argument("<amount>", "tokens")
    .option("--json", "print the result as one JSON line")
    .action(async (amount: string, opts: { json?: boolean }, cmd: Command) => thaw(amount, opts, cmd));
  node
    .command("withdraw")
    .description("withdraw every thaw request whose thawing period has passed")
    .option("--json", "print the result as one JSON line")
    .action(async (opts: { json?: boolean }, cmd: Command) => withdraw(opts, cmd));
  node
    .command("exit")
    .description("stop taking work (Active -> Exiting); run again once nothing is locked to complete it (-> Exited)")
    .option("--json", "print the result as one JSON line")
    .action(async (opts: { json?: boolean }, cmd: Command) => exitNode(opts, cmd));
}
