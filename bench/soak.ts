/**
 * The soak test (issue 11, item 2), run by `npm run soak [-- --minutes 30 --speed 300 --seed N]`.
 *
 * The real bot (`node dist/bot.js run`, testnet mode) trades two symbols (the scalper on BTCUSDT,
 * the market maker on ETHUSDT) against the sandbox, which replays the real candles at high speed
 * with a new random mix of faults every 10-40 s: every fault type of src/sandbox/faults.ts is
 * switched on at random (dropped and stalled streams, 503 pages, requests never answered,
 * latency, rate-limit storms, server errors, split fills, thin books, cancels that lose the race).
 * Every sixth period is calm, so recovery is exercised as well as failure.
 *
 * At the end the faults stop, the bot gets a calm minute to reconcile, the market is frozen, and
 * these are checked:
 *   - the bot never exited on its own: no crash, no unhandled rejection; SIGTERM exits 0;
 *   - RSS growth after warm-up (the first sixth of the run) is under 5 MB: the floor (least RSS) of
 *     the last sixth against the floor of the sixth after warm-up;
 *   - every open position at the exchange has an exchange-side stop;
 *   - the journal and the exchange agree on every fill (id, price, quantity, fee) and on the
 *     final wallet balance (initial balance + realised PnL of the journal's fills − their fees);
 *   - no order was duplicated: no client order id was accepted twice, and never more than one
 *     entry was working per symbol.
 * A one-screen report lists the faults injected and survived; exit 1 when a check fails. The bot's
 * folder (config, state, journal, bot.log) is kept when a check fails, or always with --keep.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Dec, dec, type Decimal } from '../src/domain/money.js';
import type { FillRecord } from '../src/domain/journalRecord.js';
import { FAULT_NAMES, NO_FAULTS, type FaultSettings } from '../src/sandbox/faults.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import type { SimExecution, SimOrder } from '../src/sim/simTypes.js';
import { readJournal } from '../src/state/journal.js';
import { Prng } from '../src/sim/prng.js';
import { sampleProcess, sandboxConfig, startBot, type ProcessSample } from './botProcess.js';
import { projectRoot } from './harness.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '30' }, speed: { type: 'string', default: '300' }, seed: { type: 'string' }, keep: { type: 'boolean', default: false } },
  strict: true,
});
const MINUTES = Number(values.minutes);
const SPEED = Number(values.speed);
const SEED = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
if (!(MINUTES > 0) || !(SPEED > 0) || !Number.isInteger(SEED)) {
  process.stderr.write('usage: npm run soak [-- --minutes M (default 30) --speed S (default 300) --seed N --keep]\n');
  process.exit(2);
}
const INITIAL_BALANCE = '10000';
const root = projectRoot();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ------------------------------------------------------------------ the exchange, and what it saw
const sandbox = await startSandbox({
  data: [join(root, 'data', 'bybit-BTCUSDT-1m.csv.gz'), join(root, 'data', 'bybit-ETHUSDT-1m.csv.gz')],
  ntpPort: 0,
  speed: SPEED,
  initialBalance: INITIAL_BALANCE,
  seed: SEED,
});
const executions = new Map<string, SimExecution>();
/** orderLinkId → the exchange order ids that carried it (more than one = a duplicate). */
const linkIds = new Map<string, Set<string>>();
const entryOrders = new Map<string, SimOrder>();
let maxWorkingEntries = 0;
let ordersSeen = 0;
sandbox.sim.onEvent((e) => {
  if (e.kind === 'execution') executions.set(e.execution.execId, e.execution);
  if (e.kind === 'order') {
    const o = e.order;
    if (o.orderLinkId !== '') {
      const ids = linkIds.get(o.orderLinkId) ?? new Set<string>();
      if (ids.size === 0) ordersSeen++;
      ids.add(o.orderId);
      linkIds.set(o.orderLinkId, ids);
    }
    if (/-E[LS]-/.test(o.orderLinkId)) {
      entryOrders.set(o.orderId, o);
      const working = [...entryOrders.values()].filter((x) => x.symbol === o.symbol && (x.status === 'New' || x.status === 'PartiallyFilled'));
      maxWorkingEntries = Math.max(maxWorkingEntries, working.length);
      if (o.status !== 'New' && o.status !== 'PartiallyFilled') entryOrders.delete(o.orderId);
    }
  }
});

// ------------------------------------------------------------------ the bot
const bot = startBot({
  config: sandboxConfig(sandbox, 'testnet', {
    log: { level: process.env.SOAK_LOG_LEVEL ?? 'info' },
    risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20, cooldownMinutes: 1 } },
    symbols: [
      { symbol: 'BTCUSDT', strategy: 'scalper', exits: { trailing: { enabled: true, activationR: 1, distancePct: 0.3 }, timeExitCandles: 30 } },
      // 0.05 ETH (about 130 USDT a quote); the default 0.001 is below ETHUSDT's minimum order.
      { symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } },
    ],
  }),
  env: { BYBIT_API_KEY: DEFAULT_API_KEY, BYBIT_API_SECRET: DEFAULT_API_SECRET },
  keepOutputChars: 200_000,
  onLine: (line) => tallyLine(line),
});
const levels = { WARN: 0, ERROR: 0 };
const messages = new Map<string, number>();
let fatal: string | null = null;
function tallyLine(line: string): void {
  const m = /^\S+ (WARN|ERROR) +(.*)$/.exec(line);
  if (m) {
    levels[m[1] as 'WARN' | 'ERROR']++;
    // Group by the message without its variable details (ids, numbers, key=value pairs).
    const key = `${m[1]} ${m[2]!.replace(/ \w+=.*$/, '').replace(/[0-9a-f]{8,}|\d+(\.\d+)?/g, '#').slice(0, 70)}`;
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  if (/unhandled|uncaught|FATAL|^\s+at .*\(/i.test(line) && fatal === null) fatal = line;
}

let exitedEarly: number | null | undefined;
void bot.exited.then((code) => {
  if (!stopping) exitedEarly = code;
});
let stopping = false;

await bot.waitFor(/ running mode=testnet/, 120_000);
log(`bot running (seed ${SEED}, speed ${SPEED}x, ${MINUTES} min); faults start`);

// ------------------------------------------------------------------ faults at random, and samples
const dice = new Prng(SEED);
const between = (a: number, b: number) => a + dice.next() * (b - a);
const on = (p = 0.5) => dice.next() < p;
function randomFaults(calm: boolean): FaultSettings {
  if (calm) return { ...NO_FAULTS, seed: SEED };
  return {
    ...NO_FAULTS,
    wsDropEveryMs: on(0.4) ? Math.round(between(3_000, 15_000)) : null,
    stall: on(0.2) ? (['public', 'private', 'all'] as const)[Math.floor(between(0, 3))]! : 'none',
    http5xxRate: on() ? between(0.01, 0.15) : 0,
    timeoutRate: on(0.4) ? between(0.005, 0.05) : 0,
    latencyMs: on(0.4) ? Math.round(between(20, 400)) : 0,
    storm10006Rate: on(0.4) ? between(0.01, 0.15) : 0,
    err10016Rate: on(0.4) ? between(0.01, 0.1) : 0,
    partialFillRatio: on() ? Number(between(0.2, 0.8).toFixed(2)) : null,
    thinBookRatio: on(0.3) ? Number(between(0.2, 0.8).toFixed(2)) : null,
    raceCancel: on(0.3),
    seed: SEED,
  };
}
const periods: Record<string, number> = Object.fromEntries(FAULT_NAMES.map((n) => [n, 0]));
function countPeriod(f: FaultSettings): void {
  if (f.wsDropEveryMs !== null) periods['ws-drop']!++;
  if (f.stall !== 'none') periods['stall']!++;
  if (f.http5xxRate > 0) periods['http5xx']!++;
  if (f.timeoutRate > 0) periods['timeout']!++;
  if (f.latencyMs > 0) periods['latency']!++;
  if (f.storm10006Rate > 0) periods['storm10006']!++;
  if (f.err10016Rate > 0) periods['err10016']!++;
  if (f.partialFillRatio !== null) periods['partial']!++;
  if (f.thinBookRatio !== null) periods['thin']!++;
  if (f.raceCancel) periods['race-cancel']!++;
}

const samples: ProcessSample[] = [];
const startMs = Date.now();
const endMs = startMs + MINUTES * 60_000;
let nextFaultMs = startMs;
let period = 0;
let nextSampleMs = startMs;
let nextLogMs = startMs + 60_000;
while (Date.now() < endMs && exitedEarly === undefined) {
  const now = Date.now();
  if (now >= nextFaultMs) {
    const f = randomFaults(++period % 6 === 0);
    // A stall longer than a stream's heartbeat timeout is a dead stream: keep stalls short.
    sandbox.setFaults(f);
    countPeriod(f);
    nextFaultMs = now + (f.stall !== 'none' ? between(5_000, 25_000) : between(10_000, 40_000));
  }
  if (now >= nextSampleMs) {
    const s = sampleProcess(bot.child.pid!);
    if (s) samples.push(s);
    nextSampleMs = now + 10_000;
  }
  if (now >= nextLogMs) {
    const s = samples.at(-1);
    log(`${Math.round((now - startMs) / 60_000)} min: ${executions.size} fills, ${ordersSeen} orders, RSS ${s ? (s.rssBytes / 1e6).toFixed(1) : '?'} MB, ${levels.WARN} warnings, ${levels.ERROR} errors`);
    nextLogMs = now + 60_000;
  }
  await sleep(250);
}

// ------------------------------------------------------------------ calm, freeze, check
const failures: string[] = [];
const check = (ok: boolean, what: string): void => {
  if (!ok) failures.push(what);
};
if (exitedEarly === undefined) {
  log('faults off; one calm minute to reconcile');
  sandbox.setFaults({ ...NO_FAULTS, seed: SEED });
  await sleep(60_000);
  sandbox.pause();
  log('market frozen; settling');
  await sleep(15_000);
}
const counts = sandbox.faultCounts();
const positions = sandbox.sim.positions().filter((p) => p.size.gt(0));
const unprotected = positions.filter((p) => p.stopLoss === null || p.stopLoss.lte(0));
const wallet = sandbox.sim.wallet();
stopping = true;
const exitCode = exitedEarly === undefined ? await bot.stop(30_000) : exitedEarly;

check(exitedEarly === undefined, `the bot exited by itself with code ${exitedEarly}`);
check(exitCode === 0, `SIGTERM: exit code ${exitCode} (expected 0)`);
check(fatal === null, `a crash or unhandled error was printed: ${fatal}`);
check(unprotected.length === 0, `open positions without an exchange stop: ${unprotected.map((p) => `${p.symbol} ${p.side} ${p.size}`).join(', ')}`);

// Memory. Under this load RSS swings by 15 MB from one sample to the next as V8 grows and shrinks
// its young generation between collections, so single samples or short medians say little. What
// a leak raises is the floor: the least RSS over a window, what the process holds after its
// collections. The floor of the last window is compared with the floor of the first window after
// warm-up (the first sixth of the run); each window is a sixth of the run (5 minutes of 30).
const windowMs = (MINUTES * 60_000) / 6;
const warmEndMs = startMs + windowMs;
const floor = (xs: readonly ProcessSample[]) => Math.min(...xs.map((s) => s.rssBytes));
const median = (xs: readonly ProcessSample[]) => [...xs].map((s) => s.rssBytes).sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const afterWarm = samples.filter((s) => s.atMs >= warmEndMs && s.atMs < warmEndMs + windowMs);
const lastWindow = samples.filter((s) => s.atMs >= samples.at(-1)!.atMs - windowMs);
const rssGrowthMB = (floor(lastWindow) - floor(afterWarm)) / 1e6;
check(rssGrowthMB < 5, `RSS grew ${rssGrowthMB.toFixed(1)} MB after warm-up (limit 5 MB)`);
const cpuPct = samples.length > 1 ? ((samples.at(-1)!.cpuMs - samples[0]!.cpuMs) / (samples.at(-1)!.atMs - samples[0]!.atMs)) * 100 : NaN;

// The journal against the exchange, fill by fill, then the balance.
const { records, problems } = await readJournal(bot.stateDir);
check(problems.length === 0, `journal problems: ${problems.map((p) => `${p.kind} at ${p.file}:${p.line}`).join("; ")}`);
const fills = records.filter((r): r is FillRecord => r.type === 'fill');
const journalById = new Map(fills.map((f) => [f.execId, f]));
const missing = [...executions.values()].filter((x) => !journalById.has(x.execId));
const extra = fills.filter((f) => !executions.has(f.execId));
const differing = fills.filter((f) => {
  const x = executions.get(f.execId);
  return x !== undefined && !(dec(f.price).eq(x.execPrice) && dec(f.qty).eq(x.execQty) && dec(f.fee).eq(x.execFee));
});
check(missing.length === 0, `${missing.length} exchange fills missing from the journal (e.g. ${missing.slice(0, 3).map((x) => `${x.symbol} ${x.orderLinkId} ${x.execQty}@${x.execPrice}`).join(', ')})`);
check(extra.length === 0, `${extra.length} journal fills the exchange never made`);
check(differing.length === 0, `${differing.length} journal fills differ from the exchange's`);
check(fills.length === new Set(fills.map((f) => f.execId)).size, 'a fill is journaled twice');
const journalBalance = balanceFromFills(dec(INITIAL_BALANCE), fills);
check(journalBalance.eq(wallet.walletBalance), `balance: journal ${journalBalance.toFixed()} vs exchange ${wallet.walletBalance.toFixed()}`);

const duplicated = [...linkIds.entries()].filter(([, ids]) => ids.size > 1).map(([id]) => id);
check(duplicated.length === 0, `order ids accepted more than once: ${duplicated.slice(0, 5).join(', ')}`);
check(maxWorkingEntries <= 1, `${maxWorkingEntries} entry orders were working at once on one symbol`);

/** Wallet balance implied by the fills: linear USDT contracts, average-price position accounting, realised PnL per fill. */
function balanceFromFills(initial: Decimal, list: readonly FillRecord[]): Decimal {
  let balance = initial;
  const pos = new Map<string, { size: Decimal; entry: Decimal }>(); // size signed: + long, − short
  for (const f of [...list].sort((a, b) => a.ts - b.ts)) {
    const p = pos.get(f.symbol) ?? { size: dec(0), entry: dec(0) };
    const signed = f.side === 'buy' ? dec(f.qty) : dec(f.qty).neg();
    const price = dec(f.price);
    balance = balance.minus(f.fee);
    if (f.source === 'funding') continue; // funding moves money, not the position
    if (p.size.isZero() || p.size.isNeg() === signed.isNeg()) {
      const size = p.size.plus(signed);
      pos.set(f.symbol, { size, entry: p.entry.times(p.size.abs()).plus(price.times(signed.abs())).div(size.abs()) });
      continue;
    }
    const closing = p.size.abs().lt(signed.abs()) ? p.size.abs() : signed.abs();
    // Settled per execution in whole 1e-8 USDT, as Bybit settles (and the simulator: src/sim/simulator.ts).
    balance = balance.plus(price.minus(p.entry).times(closing).times(p.size.isNeg() ? -1 : 1).toDecimalPlaces(8, Dec.ROUND_HALF_EVEN));
    const size = p.size.plus(signed);
    pos.set(f.symbol, { size, entry: size.isZero() ? dec(0) : signed.abs().gt(closing) ? price : p.entry });
  }
  return balance;
}

// ------------------------------------------------------------------ the report
const exits = records.filter((r) => r.type === 'exit').length;
const lines: string[] = [];
const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
lines.push('', `soak: ${MINUTES} min at ${SPEED}x (seed ${SEED}), scalper BTCUSDT + maker ETHUSDT, ${period} fault periods`);
lines.push(`trading: ${ordersSeen} orders, ${executions.size} fills, ${exits} closed trades, ${positions.length} position(s) open at the end`);
lines.push(`bot log: ${levels.WARN} warnings, ${levels.ERROR} errors`);
lines.push('', 'fault          periods on   struck');
for (const n of FAULT_NAMES) lines.push(`${n.padEnd(14)} ${String(periods[n]).padStart(10)} ${String(counts[n]).padStart(8)}`);
lines.push('', 'errors, and the most frequent warnings:');
const ranked = [...messages.entries()].sort((a, b) => b[1] - a[1]);
for (const [k, n] of [...ranked.filter(([k]) => k.startsWith('ERROR')), ...ranked.filter(([k]) => k.startsWith('WARN')).slice(0, 6)]) lines.push(`  ${String(n).padStart(5)}  ${k}`);
lines.push('');
lines.push(`${mark(exitedEarly === undefined && exitCode === 0 && fatal === null)} no crash, no unhandled error; SIGTERM exit ${exitCode}`);
lines.push(`${mark(rssGrowthMB < 5)} RSS floor after warm-up ${(floor(afterWarm) / 1e6).toFixed(1)} MB, at the end ${(floor(lastWindow) / 1e6).toFixed(1)} MB: growth ${rssGrowthMB.toFixed(1)} MB (< 5)`);
lines.push(`     (medians ${(median(afterWarm) / 1e6).toFixed(1)} and ${(median(lastWindow) / 1e6).toFixed(1)} MB, peak ${(Math.max(...samples.map((s) => s.rssBytes)) / 1e6).toFixed(1)} MB); CPU ${cpuPct.toFixed(1)} % of a core`);
lines.push(`${mark(unprotected.length === 0)} every open position has an exchange stop (${positions.length} open)`);
lines.push(`${mark(missing.length + extra.length + differing.length === 0)} journal = exchange on all ${executions.size} fills`);
lines.push(`${mark(journalBalance.eq(wallet.walletBalance))} balance: journal ${journalBalance.toFixed(4)} = exchange ${wallet.walletBalance.toFixed(4)} USDT`);
lines.push(`${mark(duplicated.length === 0 && maxWorkingEntries <= 1)} no duplicated order (${linkIds.size} client ids, at most ${maxWorkingEntries} entry working per symbol)`);
for (const f of failures) lines.push(`FAIL: ${f}`);
process.stdout.write(lines.join('\n') + '\n');
if (failures.length) process.stdout.write(`\nbot output ends:\n${bot.output().slice(-4000)}\n`);
if (failures.length || values.keep) process.stdout.write(`the bot's folder (config, state, journal, bot.log) is kept: ${bot.dir}\n`);
else bot.cleanup();
await sandbox.close();
process.exit(failures.length ? 1 : 0);
