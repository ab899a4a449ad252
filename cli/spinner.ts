/**
 * A tiny spinner for waits on the chain (a transaction, a commitment, a window). It draws on stderr only when
 * stderr is a terminal; stdout stays machine-readable. Long waits (`{ lines: true }`: `request --wait`, `deploy`)
 * print progress lines on stderr instead when it is not a terminal (logs, CI), at most one every 10 s unless the
 * news changes.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Spinner {
  /** Changes the text after the spinner. */
  update(text: string): void;
}

let active = false;

export interface SpinOptions {
  /** Without a terminal, print the label and each update as lines on stderr. */
  lines?: boolean;
  /** With `lines`: print every update (default: news that only differs in its numbers at most every 10 s). */
  everyUpdate?: boolean;
}

/** How often a progress line repeats news that only differs in its numbers (a countdown). */
const LINE_EVERY_MS = 10_000;

export async function spin<T>(label: string, work: (s: Spinner) => Promise<T>, opts: SpinOptions = {}): Promise<T> {
  // A spinner inside another (a transaction sent while waiting) would fight over the line: only the outer one draws.
  const tty = process.stderr.isTTY === true && !active;
  if (tty) active = true;
  const lines = opts.lines === true && process.stderr.isTTY !== true;
  let lastShape = "";
  let lastAt = 0;
  const line = (t: string) => {
    const shape = t.replace(/\d+/g, "#");
    if (!opts.everyUpdate && shape === lastShape && Date.now() - lastAt < LINE_EVERY_MS) return;
    lastShape = shape;
    lastAt = Date.now();
    process.stderr.write(`${label}: ${t}\n`);
  };
  if (lines) line("started");
  let text = label;
  let frame = 0;
  const draw = () => {
    process.stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  };
  const timer = tty ? setInterval(draw, 100) : undefined;
  const started = Date.now();
  try {
    const out = await work({
      update: (t) => {
        text = `${label}: ${t}`;
        if (lines) line(t);
      },
    });
    if (tty) process.stderr.write(`\r\x1b[2K✔ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (lines) process.stderr.write(`${label}: done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return out;
  } catch (e) {
    if (tty) process.stderr.write(`\r\x1b[2K✖ ${label}\n`);
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    if (tty) active = false;
  }
}
