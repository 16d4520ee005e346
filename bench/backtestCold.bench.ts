/**
 * The backtest as a user runs it, once (issue 18): `node dist/bot.js backtest --data FILE --symbol
 * BTCUSDT --json OUT`, default config, on the real BTCUSDT month repeated ten times (446,130
 * candles, ./candleFiles.ts), timed as a whole process from spawn to exit. Goal: at least 1
 * million candles per second of that time, so the whole command within 0.446 s.
 *
 * Beside it, each as a whole process on the same file, the parts no backtest of the file can skip:
 * - `node -e 0`: Node's own start;
 * - `node dist/bot.js --version`: Node and the bundle loaded;
 * - the same backtest of a 200-row file: Node, the bundle, the config, the engine's set-up, the
 *   report (what does not grow with the file);
 * - a bare program (this file in its child mode, a bundle of about 140 KB) that reads the file,
 *   checks and parses every line with the bot's own parser (src/domain/candleCsvParser.ts), and
 *   does nothing else;
 * - the same program running the scalper's indicators and signal (ScalperSignals) over every
 *   candle: no engine, no orders, no simulator, no report.
 * The kinds run in turn, 7 rounds, medians. Every run of the whole command must write the same
 * JSON report, byte for byte but for its "perf" field.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CandleCsvParser } from '../src/domain/candleCsvParser.js';
import { DEFAULT_SCALPER_PARAMS } from '../src/strategies/scalperParams.js';
import { ScalperSignals } from '../src/strategies/scalperSignals.js';
import { applyV8FlagRule, backtestMemoryFlags } from '../src/util/commandV8Flags.js';
import { MONTH, writeRepeatedMonth } from './candleFiles.js';
import { percentile, projectRoot, report, type Figure } from './harness.js';

const CHILD = '--bare-reader';

if (process.argv[2] === CHILD) {
  // The V8 flags `backtest` sets for itself (Maglev off, the young generation held), so the floor
  // runs as the command does on every Node version.
  applyV8FlagRule(backtestMemoryFlags);
  bareReader(process.argv[3]!, process.argv[4] === 'signals');
} else {
  main();
}

/**
 * The child: reads `path` as the bot's backtest does (64 KB reads into one buffer, handed to the
 * parser 8 KB at a time, candles as views of blocks of doubles) and, with `signals`, runs the
 * scalper's signal over each candle. Prints the candle count and the number of candles with a
 * signal, which the parent checks, so no work can be dropped as unused.
 */
function bareReader(path: string, signals: boolean): void {
  const parser = new CandleCsvParser(path, { blocks: true });
  const scalper = new ScalperSignals(DEFAULT_SCALPER_PARAMS);
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(64 * 1024);
  let candles = 0;
  let sides = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    for (let at = 0; at < n; at += 8 * 1024) {
      const batch = parser.push(buf.subarray(at, Math.min(n, at + 8 * 1024)));
      candles += batch.length;
      if (signals) for (let i = 0; i < batch.length; i++) if (scalper.update(batch[i]!) !== null) sides++;
    }
  }
  candles += parser.end().length;
  closeSync(fd);
  process.stdout.write(`${candles} ${sides}\n`);
}

function main(): void {
  const root = projectRoot();
  const bot = join(root, 'dist', 'bot.js');
  const self = fileURLToPath(import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'backtest-cold-'));
  const ROUNDS = 7;
  const CANDLES = MONTH * 10;
  try {
    const file = writeRepeatedMonth(dir, 'bybit-BTCUSDT-1m-x10.csv', CANDLES);
    const small = writeRepeatedMonth(dir, 'bybit-BTCUSDT-1m-200.csv', 200);
    const out = join(dir, 'out.json');
    const backtest = (data: string): string[] => [bot, 'backtest', '--data', data, '--symbol', 'BTCUSDT', '--state-dir', join(dir, 'state'), '--json', out];
    const kinds: [string, string[]][] = [
      ['bare', ['-e', '0']],
      ['version', [bot, '--version']],
      ['small', backtest(small)],
      ['reader', [self, CHILD, file, 'parse']],
      ['signals', [self, CHILD, file, 'signals']],
      ['whole', backtest(file)],
    ];
    const times = new Map<string, number[]>(kinds.map(([k]) => [k, []]));
    let report0: Buffer | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [kind, args] of kinds) {
        const t0 = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
        if (kind === 'reader' || kind === 'signals') {
          const [count, sides] = r.stdout.toString().trim().split(' ').map(Number);
          if (count !== CANDLES) throw new Error(`the bare reader read ${count} candles, not ${CANDLES}`);
          if ((kind === 'signals') !== sides! > 0) throw new Error(`the bare reader found ${sides} signals in its ${kind} mode`);
        }
        if (kind === 'whole') {
          // All but its "perf" field, the command's own timing.
          const text = readFileSync(out);
          const json = text.subarray(0, text.lastIndexOf(',"perf":'));
          if (report0 === null) report0 = json;
          else if (!json.equals(report0)) throw new Error(`round ${round + 1}: the report differs from the first run's`);
        }
        times.get(kind)!.push(ms);
      }
    }
    const median = (kind: string): number => percentile([...times.get(kind)!].sort((a, b) => a - b), 50);
    const whole = median('whole');
    const cps = (CANDLES * 1000) / whole;
    const line = (kind: string): string => times.get(kind)!.map((ms) => ms.toFixed(0)).join(' ');
    for (const [kind] of kinds) process.stdout.write(`${kind.padEnd(8)} ms: ${line(kind)}\n`);
    const figures: Figure[] = [
      { name: `whole command, ${CANDLES.toLocaleString('en-US')} candles`, value: whole, unit: 'ms' },
      { name: 'the same in candles/s', value: cps, unit: 'candles/s', goal: '>= 1,000,000', ok: cps >= 1_000_000 },
      { name: 'node -e 0', value: median('bare'), unit: 'ms' },
      { name: 'node dist/bot.js --version', value: median('version'), unit: 'ms' },
      { name: 'backtest of a 200-row file', value: median('small'), unit: 'ms' },
      { name: 'bare program: read, check every line', value: median('reader'), unit: 'ms' },
      { name: 'bare program: + scalper signals', value: median('signals'), unit: 'ms' },
      { name: 'goal (446 ms) − bundle − bare signals', value: (CANDLES / 1000) - median('signals') - (median('version') - median('bare')), unit: 'ms' },
    ];
    report('backtestCold', figures);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
