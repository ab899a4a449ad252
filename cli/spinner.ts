/**
 * A tiny spinner for waits on the chain (a transaction, a commitment, a window). It draws on stderr only when
 * stderr is a terminal, so pipes, CI and tests see nothing; stdout stays machine-readable.
 */
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export interface Spinner {
  /** Changes the text after the spinner. */
  update(text: string): void;
}

let active = false;

export async function spin<T>(label: string, work: (s: Spinner) => Promise<T>): Promise<T> {
  // A spinner inside another (a transaction sent while waiting) would fight over the line: only the outer one draws.
  const tty = process.stderr.isTTY === true && !active;
  if (tty) active = true;
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
      },
    });
    if (tty) process.stderr.write(`\r\x1b[2K✔ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return out;
  } catch (e) {
    if (tty) process.stderr.write(`\r\x1b[2K✖ ${label}\n`);
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    if (tty) active = false;
  }
}
