/**
 * `verity token balance [address]` and `verity token transfer <to> <amount>`: the staked token, for funding
 * operators and requesters (on a local deployment the deployer holds the whole supply).
 */
import type { Command } from "commander";
import { connect, send, signerOf } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { formatAmount, parseAddress, parseAmount, toJson } from "../values";
import { formatPairs } from "../table";

async function balance(address: string | undefined, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  let who: string;
  if (address !== undefined) who = parseAddress(address, "address");
  else if (p.wallet) who = p.wallet.address;
  else throw new CliError("no address given and no key configured", "pass the address, or --key");
  const [wallet, credits, disputeCredits] = await Promise.all([
    p.token.balanceOf(who),
    p.inferenceManager.credits(who),
    p.disputeManager.credits(who),
  ]);
  if (opts.json) {
    process.stdout.write(
      toJson({
        address: who,
        token: p.addresses.token,
        symbol: p.symbol,
        balance: wallet,
        credits: { inference: credits, disputes: disputeCredits },
      }) + "\n",
    );
    return;
  }
  const amt = (v: bigint) => formatAmount(v, p.decimals, p.symbol);
  process.stdout.write(
    formatPairs([
      ["address", who],
      ["balance", amt(wallet)],
      ["credits", `${amt(credits)} (InferenceManager), ${amt(disputeCredits)} (DisputeManager)`],
    ]),
  );
}

async function transfer(to: string, amountText: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p);
  const dest = parseAddress(to, "recipient");
  const amount = parseAmount(amountText, p.decimals, "amount");
  const receipt = await send(`transfer ${formatAmount(amount, p.decimals, p.symbol)}`, () =>
    p.token.transfer(dest, amount),
  );
  if (opts.json) {
    process.stdout.write(toJson({ from: me.address, to: dest, amount, tx: receipt.hash }) + "\n");
    return;
  }
  process.stdout.write(
    `sent ${formatAmount(amount, p.decimals, p.symbol)} from ${me.address} to ${dest} (tx ${receipt.hash})\n`,
  );
}

export function registerTokenCommands(cli: Command): void {
  const token = cli.command("token").description("the staked token: balances and transfers");
  token
    .command("balance")
    .description("token balance and unclaimed credits of an address (default: the key's account)")
    .argument("[address]", "address")
    .option("--json", "print {address, token, symbol, balance, credits} as one JSON line")
    .action(async (address: string | undefined, opts: { json?: boolean }, cmd: Command) => balance(address, opts, cmd));
  token
    .command("transfer")
    .description("send tokens from the key's account")
    .argument("<to>", "recipient address")
    .argument("<amount>", "tokens, e.g. 1000 or 0.5")
    .option("--json", "print the result as one JSON line")
    .action(async (to: string, amount: string, opts: { json?: boolean }, cmd: Command) =>
      transfer(to, amount, opts, cmd),
    );
}
