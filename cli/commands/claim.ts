/**
 * `verity claim`: withdraw the key's account's pull credits: fees of finalized requests (nodes), refunds of
 * rejected or unserved requests (requesters) from the InferenceManager, and bonds and rewards (challengers, nodes)
 * from the DisputeManager.
 */
import type { Command } from "commander";
import { connect, send, signerOf } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { formatAmount, toJson } from "../values";
import { formatPairs } from "../table";

async function claim(opts: { json?: boolean }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd), { needKey: true });
  const me = signerOf(p).address;
  const [fromInference, fromDisputes] = await Promise.all([
    p.inferenceManager.credits(me),
    p.disputeManager.credits(me),
  ]);
  if (fromInference === 0n && fromDisputes === 0n) {
    throw new CliError(
      `${me} has no credits to claim`,
      "credits come from finalized requests (nodes), refunds (requesters) and won disputes",
    );
  }
  const txs: string[] = [];
  if (fromInference > 0n)
    txs.push((await send("claimCredits (InferenceManager)", () => p.inferenceManager.claimCredits())).hash);
  if (fromDisputes > 0n)
    txs.push((await send("claimCredits (DisputeManager)", () => p.disputeManager.claimCredits())).hash);
  if (opts.json) {
    process.stdout.write(
      toJson({
        account: me,
        inference: fromInference,
        disputes: fromDisputes,
        total: fromInference + fromDisputes,
        txs,
      }) + "\n",
    );
    return;
  }
  const amt = (v: bigint) => formatAmount(v, p.decimals, p.symbol);
  process.stdout.write(
    formatPairs([
      ["account", me],
      [
        "claimed",
        `${amt(fromInference + fromDisputes)} (${amt(fromInference)} inference, ${amt(fromDisputes)} disputes)`,
      ],
      ["txs", txs.join(", ")],
    ]),
  );
}

export function registerClaimCommand(cli: Command): void {
  cli
    .command("claim")
    .description("everyone: withdraw the key's credits (node fees, requester refunds, dispute bonds and rewards)")
    .option("--json", "print {account, inference, disputes, total, txs} as one JSON line")
    .action(async (opts: { json?: boolean }, cmd: Command) => claim(opts, cmd));
}
