/**
 * A sweep's progress on stderr (issue 18 item 4): a bar over the candles all runs have read, the
 * runs finished, the time spent and an estimate of the time left. On a terminal it is redrawn in
 * place (a few times a second); otherwise one line is printed as each run ends.
 */
import type { CommandIo } from './command.js';

/** Redraws at most this often on a terminal. */
const REDRAW_MS = 250;
const WIDTH = 20;

export interface SweepProgress {
  /** Candles read so far by run `index`. */
  candles(index: number, n: number): void;
  /** Run `index` ended. */
  runDone(index: number): void;
  /** The sweep stopped early (a failed run): ends a line drawn in place. */
  stop(): void;
}

export function sweepProgress(io: CommandIo, runs: number, candlesPerRun: number, now: () => number = () => performance.now()): SweepProgress {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const read = new Array<number>(runs).fill(0);
  const total = Math.max(1, runs * candlesPerRun);
  const started = now();
  let finished = 0;
  let drawnAt = -Infinity;
  let open = false;
  const line = (): string => {
    const done = read.reduce((a, b) => a + b, 0);
    const share = Math.min(1, done / total);
    const filled = Math.round(share * WIDTH);
    const spent = (now() - started) / 1000;
    const eta = finished === runs ? 'done' : share > 0 ? `ETA ${seconds((spent * (1 - share)) / share)}` : 'ETA unknown';
    return `sweep [${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${finished}/${runs} runs, ${Math.floor(share * 100)}% of the candles, ${seconds(spent)}, ${eta}`;
  };
  const draw = (force: boolean): void => {
    if (!tty) return;
    const t = now();
    if (!force && t - drawnAt < REDRAW_MS) return;
    drawnAt = t;
    io.stderr.write(`\r${line()}`);
    open = true;
  };
  return {
    candles(index, n) {
      read[index] = Math.min(n, candlesPerRun);
      draw(false);
    },
    runDone(index) {
      read[index] = candlesPerRun;
      finished++;
      if (tty) {
        draw(true);
        if (finished === runs) {
          io.stderr.write('\n');
          open = false;
        }
      } else io.stderr.write(line() + '\n');
    },
    stop() {
      if (open) io.stderr.write('\n');
      open = false;
    },
  };
}

function seconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}
