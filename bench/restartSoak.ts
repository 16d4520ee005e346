/**
 * The restart soak (issue 15 item 4), run by `npm run soak -- --restart [--minutes 30 --speed 300
 * --seed N --faults SPEC --keep --debug]`.
 *
 * The real bot (`node dist/bot.js run`, testnet mode; scalper on BTCUSDT, market maker on ETHUSDT)
 * trades against the sandbox with faults on the whole time (default: the REST faults of issue 15,
 * dropped streams, split fills, lost cancel races). Every 1-3 minutes (seeded) it is killed with
 * SIGKILL, as Android kills a phone's processes, and started again in the same folder. Counted:
 *   - starts, and recoveries: starts that reached "running" (goal: every start);
 *   - exits: the bot ending by itself, whatever the code (goal 0);
 *   - duplicate orders: a client order id the exchange accepted twice (goal 0);
 *   - positions without a stop after 5 s: an open position at the exchange with no stop loss for
 *     more than 5 s in a row (goal 0).
 * Exit 1 when a goal is missed. The bot's folder is kept when a goal is missed, or with --keep;
 * it then also holds soak-timeline.log: the exchange's executions and position changes (side, size,
 * stop) by wall time, and the soak's starts, kills and findings, to read next to state/bot.log
 * (--debug: the bot logs at debug level).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NO_FAULTS, parseFaultSpec } from '../src/sandbox/faults.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import { Prng } from '../src/sim/prng.js';
import { sandboxConfig, startBot, type BotProcess } from './botProcess.js';
import { projectRoot } from './harness.js';

const ISSUE_FAULTS = 'storm10006=25%,err10016=15%,http5xx=15%,timeout=5%,ws-drop=7s,latency=150ms,partial=0.5,race-cancel=on';
const { values } = parseArgs({
  options: {
    restart: { type: 'boolean', default: true },
    minutes: { type: 'string', default: '30' },
    speed: { type: 'string', default: '300' },
    seed: { type: 'string' },
    faults: { type: 'string', default: ISSUE_FAULTS },
    keep: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
  },
  strict: true,
});
const MINUTES = Number(values.minutes);
const SPEED = Number(values.speed);
const SEED = values.seed !== undefined ? Number(values.seed) : Date.now() % 1_000_000;
if (!(MINUTES > 0) || !(SPEED > 0) || !Number.isInteger(SEED)) {
  process.stderr.write('usage: npm run soak -- --restart [--minutes M (default 30) --speed S (default 300) --seed N --faults SPEC --keep --debug]\n');
  process.exit(2);
}
const root = projectRoot();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stdout.write(`[restart-soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
/** A start that is not running after this long counts as not recovered (it keeps trying; we kill it). */
const START_DEADLINE_MS = 180_000;
const STOP_GRACE_MS = 5_000;

const sandbox = await startSandbox({
  data: [join(root, 'data', 'bybit-BTCUSDT-1m.csv.gz'), join(root, 'data', 'bybit-ETHUSDT-1m.csv.gz')],
  ntpPort: 0,
  speed: SPEED,
  initialBalance: '10000',
  seed: SEED,
  faults: { ...parseFaultSpec(values.faults), seed: SEED },
});

/** orderLinkId → exchange order ids that carried it (more than one = a duplicate). */
const linkIds = new Map<string, Set<string>>();
sandbox.sim.onEvent((e) => {
  if (e.kind !== 'order' || e.order.orderLinkId === '') return;
  const ids = linkIds.get(e.order.orderLinkId) ?? new Set<string>();
  ids.add(e.order.orderId);
  linkIds.set(e.order.orderLinkId, ids);
});

// What the exchange did, by wall time, for reading next to the bot's log when a goal is missed:
// every execution, and every change of a position's side, size or stop (soak-timeline.log in the
// bot's folder).
const timeline: string[] = [];
const clockOf = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const lastPosition = new Map<string, string>();
sandbox.sim.onEvent((e) => {
  if (e.kind === 'execution') {
    const x = e.execution;
    timeline.push(`${clockOf(Date.now())} exec ${x.symbol} ${x.side} ${x.execQty.toFixed()} @ ${x.execPrice.toFixed()} ${x.orderLinkId || x.stopOrderType || x.orderType}`);
  } else if (e.kind === 'position') {
    const p = e.position;
    const text = `${p.side ?? 'flat'} ${p.size.toFixed()} @ ${p.entryPrice.toFixed()} stop ${p.stopLoss?.toFixed() ?? 'none'}`;
    if (lastPosition.get(p.symbol) === text) return;
    lastPosition.set(p.symbol, text);
    timeline.push(`${clockOf(Date.now())} position ${p.symbol} ${text}`);
  }
});
const note = (line: string) => timeline.push(`${clockOf(Date.now())} soak: ${line}`);

// Positions without a stop: since when each one has been bare, and how many stayed bare > 5 s.
const bareSince = new Map<string, number>();
const counted = new Set<string>();
let unprotected = 0;
const unprotectedSeen: string[] = [];
const watch = setInterval(() => {
  const now = Date.now();
  const open = new Set<string>();
  for (const p of sandbox.sim.positions()) {
    if (!p.size.gt(0)) continue;
    const key = `${p.symbol} ${p.side}`;
    open.add(key);
    if (p.stopLoss !== null && p.stopLoss.gt(0)) {
      bareSince.delete(key);
      counted.delete(key);
      continue;
    }
    const since = bareSince.get(key) ?? now;
    bareSince.set(key, since);
    if (now - since > 5_000 && !counted.has(key)) {
      counted.add(key);
      unprotected++;
      unprotectedSeen.push(`${key} ${p.size.toFixed()} at ${new Date(now).toISOString().slice(11, 19)} (bare since ${clockOf(since)})`);
      note(`${key} ${p.size.toFixed()} without a stop since ${clockOf(since)}`);
    }
  }
  for (const k of [...bareSince.keys()]) if (!open.has(k)) (bareSince.delete(k), counted.delete(k));
}, 500);

const config = sandboxConfig(sandbox, 'testnet', {
  exchange: { restUrl: sandbox.restUrl, requestTimeoutMs: 5000 },
  log: { level: values.debug ? 'debug' : 'info' },
  risk: { maxDailyLossPct: 50, maxDrawdownPct: 90, lossStreak: { losses: 20, cooldownMinutes: 1 } },
  symbols: [
    { symbol: 'BTCUSDT', strategy: 'scalper', exits: { trailing: { enabled: true, activationR: 1, distancePct: 0.3 }, timeExitCandles: 30 } },
    { symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } },
  ],
});

const dice = new Prng(SEED);
const startMs = Date.now();
const endMs = startMs + MINUTES * 60_000;
let dir: string | undefined;
let starts = 0;
let recoveries = 0;
let exits = 0;
let waits = 0;
let fatal: string | null = null;
const exitNotes: string[] = [];
const startTimes: number[] = [];
let last: BotProcess | null = null;

while (Date.now() < endMs) {
  starts++;
  let runningAt: number | null = null;
  let ended: number | null | 'killed' = null;
  const bot = startBot({
    config,
    ...(dir ? { dir } : {}),
    env: { BYBIT_API_KEY: DEFAULT_API_KEY, BYBIT_API_SECRET: DEFAULT_API_SECRET },
    keepOutputChars: 100_000,
    onLine: (line) => {
      if (/WARN +waiting for Bybit/.test(line)) waits++;
      if (/unhandled|uncaught|^\s+at .*\(/i.test(line) && fatal === null) fatal = line;
      if (runningAt === null && / running mode=testnet/.test(line)) runningAt = Date.now();
    },
  });
  last = bot;
  note(`start ${starts}`);
  dir = bot.dir;
  void bot.exited.then((code) => {
    if (ended === null) ended = code;
  });
  // Killed 1-3 minutes after the start, whatever it is doing.
  const killAt = Date.now() + 60_000 + dice.next() * 120_000;
  while (Date.now() < Math.min(killAt, endMs) && ended === null) {
    if (runningAt === null && Date.now() - bot.startedAtMs > START_DEADLINE_MS) break;
    await sleep(200);
  }
  if (runningAt !== null) {
    recoveries++;
    startTimes.push(runningAt - bot.startedAtMs);
  }
  if (ended !== null) {
    exits++;
    exitNotes.push(`start ${starts}: exited with ${ended}; output ends: ${bot.output().slice(-600)}`);
    continue;
  }
  if (Date.now() >= endMs) break;
  ended = 'killed';
  note(`SIGKILL start ${starts}`);
  bot.child.kill('SIGKILL');
  await bot.exited;
  log(`start ${starts}: ${runningAt !== null ? `running after ${((runningAt - bot.startedAtMs) / 1000).toFixed(1)} s` : 'NOT running'}; SIGKILL after ${((Date.now() - bot.startedAtMs) / 1000).toFixed(0)} s`);
}

// The end: faults off, a calm 20 s for the last start to settle its stops, then SIGTERM.
sandbox.setFaults({ ...NO_FAULTS, seed: SEED });
await sleep(20_000);
clearInterval(watch);
const counts = sandbox.faultCounts();
const lastBot = last;
const lastEnded = lastBot ? lastBot.child.exitCode ?? lastBot.child.signalCode : null;
const stopCode = lastBot && lastEnded === null ? await lastBot.stop(STOP_GRACE_MS * 4) : null;
const duplicated = [...linkIds.entries()].filter(([, ids]) => ids.size > 1).map(([id]) => id);
const sorted = [...startTimes].sort((a, b) => a - b);
const pct = (q: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / 1000).toFixed(1) : '-');

const failures: string[] = [];
if (recoveries !== starts) failures.push(`${starts - recoveries} start(s) did not reach running`);
if (exits > 0) failures.push(`the bot ended by itself ${exits} time(s)`);
if (fatal !== null) failures.push(`a crash or unhandled error was printed: ${fatal}`);
if (duplicated.length > 0) failures.push(`order ids accepted more than once: ${duplicated.slice(0, 5).join(', ')}`);
if (unprotected > 0) failures.push(`positions without a stop after 5 s: ${unprotectedSeen.join('; ')}`);
if (stopCode !== null && stopCode !== 0) failures.push(`SIGTERM at the end: exit ${stopCode}`);

const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
const lines = [
  '',
  `restart soak: ${MINUTES} min at ${SPEED}x (seed ${SEED}), SIGKILL every 1-3 min, faults: ${values.faults}`,
  `faults struck: ${Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  `${linkIds.size} client order ids; ${waits} "waiting for Bybit" lines; start → running p50 ${pct(0.5)} s, p90 ${pct(0.9)} s, max ${pct(1)} s`,
  '',
  `${mark(recoveries === starts)} starts ${starts}, recoveries ${recoveries}`,
  `${mark(exits === 0 && fatal === null)} exits ${exits} (goal 0)`,
  `${mark(duplicated.length === 0)} duplicate orders ${duplicated.length} (goal 0)`,
  `${mark(unprotected === 0)} positions without a stop after 5 s: ${unprotected} (goal 0)`,
  ...failures.map((f) => `FAIL: ${f}`),
  ...exitNotes.map((n) => `  ${n}`),
];
process.stdout.write(lines.join('\n') + '\n');
if (dir) appendFileSync(join(dir, 'soak-timeline.log'), timeline.join('\n') + '\n');
if (failures.length || values.keep) process.stdout.write(`the bot's folder (config, state, journal, bot.log) is kept: ${dir}\n`);
else lastBot?.cleanup();
await sandbox.close();
process.exit(failures.length ? 1 : 0);
