/**
 * The bot as a process (issue 11, item 1): `node dist/bot.js run` against the sandbox on loopback,
 * measured from outside through /proc, so the figures are the bot's alone.
 *
 * 1. Start-up: `run --paper` from spawn to its first decision. The sandbox is frozen, and the
 *    moment the bot reports `running` the next candle is closed, so the figure is the bot's own
 *    start-up plus its first decision and excludes waiting for the market's next minute.
 * 2. Steady state: `run` in testnet mode (signed REST, private streams, the clock kept measured)
 *    with two symbols, the scalper on BTCUSDT and the market maker on ETHUSDT (order book
 *    subscribed), replaying the real candles in real time. After BENCH_RUN_MINUTES (default 10):
 *    RSS, and CPU per wall minute over the last two minutes. Bare Node's RSS on the same machine is
 *    reported beside it, and the RSS split into file-backed pages (the node binary's code and data,
 *    ICU's among them) and anonymous ones (V8's heaps). BENCH_RUN_STARTS=0 skips part 1, to measure
 *    memory alone on a busy machine.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import { memoryParts, sampleProcess, sandboxConfig, startBot, type MemoryParts, type ProcessSample } from './botProcess.js';
import { percentile, projectRoot, report, type Figure } from './harness.js';

const root = projectRoot();
const DATA = [join(root, 'data', 'bybit-BTCUSDT-1m.csv.gz'), join(root, 'data', 'bybit-ETHUSDT-1m.csv.gz')];
const SYMBOLS = [
  { symbol: 'BTCUSDT', strategy: 'scalper' },
  // 0.05 ETH (about 130 USDT a quote); the default 0.001 is below ETHUSDT's minimum order.
  { symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } },
];
const STARTS = Number(process.env.BENCH_RUN_STARTS ?? 7);
const RUN_MINUTES = Number(process.env.BENCH_RUN_MINUTES ?? 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- 1. run --paper to first decision
const toRunning: number[] = [];
const toDecision: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const sandbox = await startSandbox({ data: DATA, ntpPort: 0, speed: 0 });
  const bot = startBot({ config: sandboxConfig(sandbox, 'paper', { symbols: SYMBOLS }), args: ['--paper'] });
  try {
    // Ready: running, and the public stream (opened asynchronously) subscribed.
    const running = Math.max(await bot.waitFor(/ running mode=paper/, 60_000), await bot.waitFor(/streams\] public stream open/, 60_000));
    sandbox.advanceCandles(1);
    const decided = await bot.waitFor(/BTCUSDT ready: warmed up/, 30_000);
    toRunning.push(running - bot.startedAtMs);
    toDecision.push(decided - bot.startedAtMs);
  } finally {
    await bot.stop();
    bot.cleanup();
    await sandbox.close();
  }
}
toRunning.sort((a, b) => a - b);
toDecision.sort((a, b) => a - b);

// ---------------------------------------------------------------- bare Node's RSS, for scale
async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)'], { stdio: 'ignore' });
  await sleep(1500);
  const s = sampleProcess(child.pid!);
  child.kill();
  return s?.rssBytes ?? NaN;
}
const bareRss = await bareNodeRss();

// ---------------------------------------------------------------- 2. steady state, 2 symbols, real time
const sandbox = await startSandbox({ data: DATA, ntpPort: 0, speed: 1 });
const bot = startBot({
  config: sandboxConfig(sandbox, 'testnet', { symbols: SYMBOLS }),
  env: { BYBIT_API_KEY: DEFAULT_API_KEY, BYBIT_API_SECRET: DEFAULT_API_SECRET },
});
const samples: ProcessSample[] = [];
let messagesAtStart = 0;
let parts: MemoryParts | null = null;
try {
  await bot.waitFor(/ running mode=testnet/, 60_000);
  messagesAtStart = sandbox.wsMessagesSent();
  const end = Date.now() + RUN_MINUTES * 60_000;
  while (Date.now() < end) {
    await sleep(5000);
    const s = sampleProcess(bot.child.pid!);
    if (!s) throw new Error(`the bot died during the steady-state run:\n${bot.output().slice(-3000)}`);
    samples.push(s);
    process.stdout.write(`\r  steady state: ${((end - Date.now()) / 60_000).toFixed(1)} min left, RSS ${(s.rssBytes / 1e6).toFixed(1)} MB   `);
  }
  parts = memoryParts(bot.child.pid!);
  process.stdout.write('\n');
} finally {
  const code = await bot.stop();
  if (code !== 0) process.stdout.write(`the bot exited ${code}; output ends:\n${bot.output().slice(-2000)}\n`);
  bot.cleanup();
}
const messages = sandbox.wsMessagesSent() - messagesAtStart;
await sandbox.close();

const last = samples.at(-1)!;
const windowStart = samples.find((s) => s.atMs >= last.atMs - 120_000) ?? samples[0]!;
const cpuMsPerMin = ((last.cpuMs - windowStart.cpuMs) / (last.atMs - windowStart.atMs)) * 60_000;
const cpuPct = cpuMsPerMin / 600;
const rssMB = last.rssBytes / 1e6;
const peakMB = Math.max(...samples.map((s) => s.rssBytes)) / 1e6;

const figures: Figure[] = [
  { name: 'run --paper: spawn → ready, median of 7', value: percentile(toRunning, 50), unit: 'ms' },
  { name: 'run --paper: spawn → first decision, median', value: percentile(toDecision, 50), unit: 'ms' },
  { name: `run, 2 symbols, RSS after ${RUN_MINUTES} min`, value: rssMB, unit: 'MB', goal: '<= 75 MB', ok: last.rssBytes <= 75e6 },
  { name: 'run, 2 symbols, peak RSS', value: peakMB, unit: 'MB' },
  { name: 'run, 2 symbols, RSS file-backed (code, data)', value: (parts?.fileBytes ?? NaN) / 1e6, unit: 'MB' },
  { name: 'run, 2 symbols, RSS anonymous (heaps)', value: (parts?.anonBytes ?? NaN) / 1e6, unit: 'MB' },
  { name: 'bare node, RSS', value: bareRss / 1e6, unit: 'MB' },
  { name: 'run, 2 symbols, CPU per wall minute', value: cpuMsPerMin, unit: 'ms/min' },
  { name: 'run, 2 symbols, CPU', value: cpuPct, unit: '% core', goal: '<= 1 %', ok: cpuPct <= 1 },
  { name: 'websocket messages to the bot', value: messages / (RUN_MINUTES * 60), unit: 'msg/s' },
];
report('run', figures);
