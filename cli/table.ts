/** Aligned text tables for the CLI's human output (numbers right-aligned, cells never truncated). */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.]+( \S+)?$/.test(r[i] ?? "")));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? (c ?? "").padStart(widths[i]) : (c ?? "").padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n") + "\n";
}

/** Key/value lines, keys padded. */
export function formatPairs(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${k.padEnd(w)}${v}`).join("\n") + "\n";
}

export function section(title: string, body: string): string {
  return `${title}\n${body}`;
}
