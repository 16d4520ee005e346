/**
 * Streams cost (issue 4 "Done when"): (1) time from a WebSocket frame arriving (ws emitting
 * 'message') to the engine's callback, p50/p99, for order-book deltas and klines; (2) CPU the
 * streams use while the bot is idle (no trading), for 2 symbols with kline + orderbook.50: goal under
 * 1 % of a core. The feed comes from a local ws server in a child process (so its CPU is not ours)
 * at Bybit's own push rates: orderbook.50 every 20 ms per symbol (V5 docs, "Push frequency"),
 * kline about every second; a quiet-market variant sends klines and pongs only. For scale, the same
 * busy feed is also read by a bare ws client that only JSON.parses each frame: the floor that Node
 * and ws themselves cost.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { dec } from '../src/domain/money.js';
import type { StreamRestSource } from '../src/exchange/bybit/bybitStreams.js';
import { BybitStreams } from '../src/exchange/bybit/bybitStreams.js';
import { fixedSigningClock } from '../src/exchange/bybit/signingClock.js';
import { percentile, report } from './harness.js';
import { applyV8FlagRule, runTierFlags } from '../src/util/commandV8Flags.js';

// The V8 flags `node dist/bot.js run` sets for itself (src/bot.ts), so the bot's code here is
// compiled as in the trading process.
applyV8FlagRule(runTierFlags);

const SYMBOLS = ['BTCUSDT', 'ETHUSDT'] as const;
const BOOK_EVERY_MS = 20;
const KLINE_EVERY_MS = 1000;
const CPU_WINDOW_MS = 15_000;

// ---------------------------------------------------------------- the feed (child process)

interface Feed {
  /** 'busy': book deltas every 20 ms + klines; 'quiet': klines only. */
  mode: 'busy' | 'quiet';
}

function runServer(): void {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const feed: Feed = { mode: 'busy' };
  const books = new Map<string, { bid: number; u: number }>();
  for (const [i, s] of SYMBOLS.entries()) books.set(s, { bid: 10_000 * (i + 1), u: 1 });
  const levels = (mid: number, dir: 1 | -1) => Array.from({ length: 50 }, (_, i) => [(mid + dir * (i + 1) * 0.1).toFixed(1), (1 + ((i * 7) % 13) * 0.25).toFixed(3)]);
  let tick = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { op?: string; req_id?: string; args?: string[] };
      if (m.op === 'ping') ws.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: 'b', req_id: m.req_id ?? '', op: 'ping' }));
      if (m.op === 'subscribe') {
        ws.send(JSON.stringify({ success: true, ret_msg: '', conn_id: 'b', req_id: m.req_id, op: 'subscribe' }));
        for (const t of m.args ?? []) {
          const sym = t.split('.').pop()!;
          const b = books.get(sym)!;
          if (t.startsWith('orderbook')) ws.send(JSON.stringify({ topic: t, type: 'snapshot', ts: Date.now(), data: { s: sym, b: levels(b.bid, -1), a: levels(b.bid + 0.1, 1), u: b.u, seq: b.u } }));
        }
      }
    });
  });
  const bookTimer = setInterval(() => {
    if (feed.mode !== 'busy') return;
    tick++;
    for (const s of SYMBOLS) {
      const b = books.get(s)!;
      b.u++;
      // About a dozen levels change per delta, as in the recorded Bybit data (data/*ob500*.ndjson.gz).
      const bids = Array.from({ length: 6 }, (_, i) => [(b.bid - i * 0.1).toFixed(1), (1 + ((tick + i) % 9) * 0.5).toFixed(3)]);
      const asks = Array.from({ length: 6 }, (_, i) => [(b.bid + 0.1 + i * 0.1).toFixed(1), (1 + ((tick + 2 * i) % 7) * 0.5).toFixed(3)]);
      const msg = JSON.stringify({ topic: `orderbook.50.${s}`, type: 'delta', ts: Date.now(), data: { s, b: bids, a: asks, u: b.u, seq: b.u }, cts: Date.now() });
      for (const c of wss.clients) c.send(msg);
    }
  }, BOOK_EVERY_MS);
  let start = 1_699_999_980_000; // on a minute boundary, as Bybit's kline starts are (the adapter checks)
  const klineTimer = setInterval(() => {
    start += 60_000;
    for (const s of SYMBOLS) {
      const msg = JSON.stringify({
        topic: `kline.1.${s}`,
        type: 'snapshot',
        ts: Date.now(),
        data: [{ start, end: start + 59_999, interval: '1', open: '100', close: '100.5', high: '101', low: '99', volume: '12.5', turnover: '1250', confirm: true, timestamp: Date.now() }],
      });
      for (const c of wss.clients) c.send(msg);
    }
  }, KLINE_EVERY_MS);
  process.on('message', (m: { mode?: Feed['mode']; stop?: boolean }) => {
    if (m.mode) feed.mode = m.mode;
    if (m.stop) {
      clearInterval(bookTimer);
      clearInterval(klineTimer);
      for (const c of wss.clients) c.terminate();
      wss.close(() => process.exit(0));
    }
  });
  wss.on('listening', () => process.send?.({ port: (wss.address() as { port: number }).port }));
}

// ---------------------------------------------------------------- the client (this process)

async function main(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));

  // Stamp each frame's arrival: the moment ws emits 'message', before any listener runs.
  let arrivedAt = 0;
  const emit = WebSocket.prototype.emit;
  WebSocket.prototype.emit = function patched(this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message') arrivedAt = performance.now();
    return emit.call(this, event, ...args);
  };

  const unused = (): never => {
    throw new Error('no REST in this benchmark');
  };
  const rest: StreamRestSource = {
    fetchCandles: unused,
    fetchCandlesBetween: unused,
    fetchOpenOrders: unused,
    fetchOrder: unused,
    fetchPositions: unused,
    fetchBalance: async () => ({ equity: dec(0), walletBalance: dec(0), available: dec(0) }),
    recentFills: unused,
  };
  const bookLatency: number[] = [];
  const klineLatency: number[] = [];
  let measuring = false;
  const streams = new BybitStreams({
    wsPublicUrl: `ws://127.0.0.1:${port}/v5/public/linear`,
    wsPrivateUrl: `ws://127.0.0.1:${port}/v5/private`,
    credentials: null,
    clock: fixedSigningClock(),
    rest,
  });
  await streams.start(
    SYMBOLS.map((symbol) => ({ symbol, intervalMinutes: 1, book: true })),
    {
      onBookTop: () => measuring && bookLatency.push(performance.now() - arrivedAt),
      onCandle: (_s, _i, _c, confirmed) => measuring && confirmed && klineLatency.push(performance.now() - arrivedAt),
    },
  );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(1500);

  // (1) latency and busy CPU over the same window.
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(CPU_WINDOW_MS);
  const busyCpu = process.cpuUsage(cpu0);
  const busyWall = performance.now() - t0;
  measuring = false;

  // (2) a quiet market: klines and pings only.
  child.send({ mode: 'quiet' });
  await sleep(500);
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  await sleep(CPU_WINDOW_MS);
  const quietCpu = process.cpuUsage(cpu1);
  const quietWall = performance.now() - t1;

  const counters = streams.counters();
  await streams.close();
  WebSocket.prototype.emit = emit;

  // (3) the floor: a bare ws client that only JSON.parses the same busy feed.
  child.send({ mode: 'busy' });
  const bare = new WebSocket(`ws://127.0.0.1:${port}/v5/public/linear`, { perMessageDeflate: false });
  let bareMessages = 0;
  bare.on('message', (d: WebSocket.RawData) => {
    JSON.parse(d.toString());
    bareMessages++;
  });
  await new Promise((r) => bare.once('open', r));
  bare.send(JSON.stringify({ op: 'subscribe', args: SYMBOLS.flatMap((s) => [`kline.1.${s}`, `orderbook.50.${s}`]) }));
  await sleep(500);
  const cpu2 = process.cpuUsage();
  const t2 = performance.now();
  await sleep(CPU_WINDOW_MS);
  const bareCpu = process.cpuUsage(cpu2);
  const bareWall = performance.now() - t2;
  bare.terminate();
  child.send({ stop: true });

  bookLatency.sort((a, b) => a - b);
  klineLatency.sort((a, b) => a - b);
  const pct = (u: NodeJS.CpuUsage, wallMs: number) => ((u.user + u.system) / 1000 / wallMs) * 100;
  const busyPct = pct(busyCpu, busyWall);
  const quietPct = pct(quietCpu, quietWall);
  const barePct = pct(bareCpu, bareWall);
  report('streams', [
    { name: 'book frame → onBookTop p50', value: percentile(bookLatency, 50) * 1000, unit: 'µs' },
    { name: 'book frame → onBookTop p99', value: percentile(bookLatency, 99) * 1000, unit: 'µs', goal: '< 1000 µs', ok: percentile(bookLatency, 99) < 1 },
    { name: 'kline frame → onCandle p50', value: percentile(klineLatency, 50) * 1000, unit: 'µs' },
    { name: 'kline frame → onCandle p99', value: percentile(klineLatency, 99) * 1000, unit: 'µs' },
    { name: 'book events measured', value: bookLatency.length, unit: 'events' },
    { name: 'CPU, 2 symbols kline+ob50 at Bybit rates', value: busyPct, unit: '% core', goal: '< 1 %', ok: busyPct < 1 },
    { name: 'CPU, quiet market (klines + pings)', value: quietPct, unit: '% core', goal: '< 1 %', ok: quietPct < 1 },
    { name: 'CPU per minute, busy', value: (busyPct / 100) * 60_000, unit: 'ms/min' },
    { name: 'CPU, bare ws + JSON.parse, same feed (floor)', value: barePct, unit: '% core' },
    { name: 'bare client messages', value: bareMessages, unit: 'msgs' },
    { name: 'messages received', value: counters.public.messages, unit: 'msgs' },
  ]);
}

if (process.argv.includes('--server')) runServer();
else await main();
