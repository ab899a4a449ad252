/**
 * Structured logs for the daemons: one JSON object per line on stdout (`{"time":..,"level":"info","msg":..,
 * "requestId":"7"}`), or a short human line with `pretty` (objects as JSON). Bigints are written as decimal strings;
 * token amounts go through `tokens()` ("0.01 VRT").
 */
import { formatUnits } from "ethers";

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  pretty?: boolean;
  /** Lowest level written (default "info"). */
  level?: Level;
  /** Where lines go (default: process.stdout). */
  write?: (line: string) => void;
  /** Fields added to every line (e.g. the node's address). */
  base?: Fields;
}

function plain(v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

/** A field's text on a pretty line: objects and arrays as JSON (bigints as decimal strings), never `[object Object]`. */
function prettyValue(v: unknown): string {
  if (typeof v === "object" && v !== null) {
    if (v instanceof Error) return v.message;
    return JSON.stringify(v, (_k, x: unknown) => plain(x));
  }
  return String(plain(v));
}

/** The protocol token's decimals and symbol (VerityToken: ERC20("Verity", "VRT"), 18 decimals). */
const TOKEN_DECIMALS = 18;
const TOKEN_SYMBOL = "VRT";

/** A token amount in wei as a log field in tokens, e.g. 10000000000000000n → "0.01 VRT". */
export function tokens(amount: bigint): string {
  return `${formatUnits(amount, TOKEN_DECIMALS)} ${TOKEN_SYMBOL}`;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => void process.stdout.write(line + "\n"));
  const min = RANK[opts.level ?? "info"];
  const emit = (level: Level, msg: string, fields: Fields = {}) => {
    if (RANK[level] < min) return;
    const time = new Date().toISOString();
    if (opts.pretty) {
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${prettyValue(v)}`)
        .join(" ");
      write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? "  " + extra : ""}`);
    } else {
      write(JSON.stringify({ time, level, msg, ...opts.base, ...fields }, (_k, v: unknown) => plain(v)));
    }
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/** A logger that keeps its lines in memory (tests), parsed back to objects. */
export function memoryLogger(): Logger & { lines: Fields[] } {
  const lines: Fields[] = [];
  const logger = createLogger({ level: "debug", write: (l) => lines.push(JSON.parse(l) as Fields) });
  return Object.assign(logger, { lines });
}
