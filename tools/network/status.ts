/**
 * The live status of `npm run network`: requests made / committed / finalized / rejected / refunded / disputed
 * (from the chain's events, tools/network/ledger.ts), and per node its commits, stake and daemon counters (from
 * its /metrics), plus the challenger's disputes. On a TTY the table is redrawn in place; otherwise a one-line
 * summary is printed only when something changed, at most every `quietMs`, so logs stay short.
 */
import { formatEther } from "ethers";

import type { ChainLedger } from "./ledger";

export interface NodeStatus {
  name: string;
  address: string;
  state: string;
  stake: bigint;
  metrics: Record<string, number> | null;
}

export interface StatusSnapshot {
  elapsedMs: number;
  block: number;
  chainTimeOffset: number;
  load: string;
  nodes: NodeStatus[];
  challenger: { state: string; metrics: Record<string, number> | null } | null;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

const m = (metrics: Record<string, number> | null, key: string) =>
  metrics && key in metrics ? String(metrics[key]) : "-";

/** The status as text lines. */
export function renderStatus(ledger: ChainLedger, s: StatusSnapshot): string[] {
  const sum = ledger.summary();
  const commits = ledger.commitsByNode();
  const out = [
    `Verity network  t=${(s.elapsedMs / 1000).toFixed(0)} s  block ${s.block}  chain clock +${s.chainTimeOffset} s  load: ${s.load}`,
    "",
    ...table(
      ["requests", "made", "committed", "batches", "disputed", "finalized", "rejected", "refunded", "unsettled"],
      [
        [
          "",
          String(sum.requested),
          String(sum.committed),
          String(sum.batches),
          String(sum.disputed),
          String(sum.finalized),
          String(sum.rejected),
          String(sum.refunded),
          String(sum.requested - sum.settled),
        ],
      ],
    ),
    "",
    ...table(
      ["node", "process", "commits", "stake (VRT)", "batches", "finalized", "disputes won/lost", "cheated"],
      s.nodes.map((n) => [
        `${n.name} ${n.address.slice(0, 8)}`,
        n.state,
        String(commits.get(n.address.toLowerCase()) ?? 0),
        Number(formatEther(n.stake)).toFixed(2),
        m(n.metrics, "batches"),
        String(
          Number(m(n.metrics, "finalized") === "-" ? 0 : n.metrics!.finalized) +
            Number(n.metrics?.batchesFinalized ?? 0),
        ),
        `${m(n.metrics, "disputesWon")}/${m(n.metrics, "disputesLost")}`,
        m(n.metrics, "cheated"),
      ]),
    ),
  ];
  if (s.challenger) {
    out.push(
      "",
      `challenger: ${s.challenger.state}; disputes opened ${m(s.challenger.metrics, "disputesOpened")}, won ${m(
        s.challenger.metrics,
        "won",
      )}, lost ${m(s.challenger.metrics, "lost")}; on-chain: ${ledger.disputesOpened.size} opened, ${ledger.disputesResolved.size} resolved`,
    );
  }
  return out;
}

/** One line, for logs that are not a terminal. */
export function statusLine(ledger: ChainLedger, s: StatusSnapshot): string {
  const sum = ledger.summary();
  return (
    `[${(s.elapsedMs / 1000).toFixed(0)} s] made ${sum.requested}, committed ${sum.committed}, disputed ${sum.disputed}, ` +
    `finalized ${sum.finalized}, rejected ${sum.rejected}, refunded ${sum.refunded}, unsettled ${sum.requested - sum.settled}; ` +
    `nodes ${s.nodes.map((n) => `${n.name}:${n.state}`).join(" ")}; load ${s.load}`
  );
}

/** Writes the status to stdout: redrawn in place on a TTY, else a line when it changed (at most every quietMs). */
export class StatusPrinter {
  private lastLines = 0;
  private lastText = "";
  private lastAt = 0;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly quietMs = 5_000,
  ) {}

  print(ledger: ChainLedger, s: StatusSnapshot, force = false): void {
    if (this.out.isTTY) {
      const lines = renderStatus(ledger, s);
      if (this.lastLines > 0) this.out.write(`\x1b[${this.lastLines}A\x1b[0J`);
      this.out.write(lines.join("\n") + "\n");
      this.lastLines = lines.length;
      return;
    }
    const line = statusLine(ledger, s);
    const key = line.replace(/^\[\d+ s\] /, "");
    if (!force && (key === this.lastText || Date.now() - this.lastAt < this.quietMs)) return;
    this.lastText = key;
    this.lastAt = Date.now();
    this.out.write(line + "\n");
  }

  /** Forgets the drawn table (after other output was written below it). */
  detach(): void {
    this.lastLines = 0;
  }
}
