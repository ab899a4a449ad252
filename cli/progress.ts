/**
 * Progress bars for long CLI work (calibration, accuracy checks), always on stderr so that stdout stays
 * machine-readable. cli-progress draws nothing when stderr is not a terminal (pipes, CI, tests).
 */
import { SingleBar, Presets } from "cli-progress";

export type Tick = (done: number, total?: number) => void;

/** Runs `work` with a progress bar labelled `label`; `work` reports progress through the tick it receives. */
export async function withProgress<T>(label: string, total: number, work: (tick: Tick) => T | Promise<T>): Promise<T> {
  const bar = new SingleBar(
    {
      format: `${label.padEnd(12)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0);
  try {
    return await work((done, newTotal) => {
      if (newTotal !== undefined && newTotal > 0) bar.setTotal(newTotal);
      bar.update(done);
    });
  } finally {
    bar.stop();
  }
}
