/**
 * Sandbox and simulator throughput (issue 3): REST requests per second and websocket messages per
 * second the sandbox sustains on loopback, and the simulator's per-candle step cost with no resting
 * orders (the backtester's inner loop; its goal is ≥ 1 million candles/s for the whole scalper).
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { readCandleFile } from '../src/domain/candleCsv.js';
import { simInstrument } from '../src/sim/instruments.js';
import { Simulator } from '../src/sim/simulator.js';
import { signRest } from '../src/sandbox/auth.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox } from '../src/sandbox/startSandbox.js';
import { type Figure, projectRoot, report } from './harness.js';

const FILE = join(projectRoot(), 'data', 'bybit-BTCUSDT-1m.csv.gz');
const candles = readCandleFile(FILE);

function simStep(): number {
  const sim = new Simulator({ instruments: [simInstrument('BTCUSDT')] });
  sim.setPrice('BTCUSDT', candles[0]!.open, candles[0]!.ts);
  const rounds = 60;
  for (const c of candles) sim.stepCandle('BTCUSDT', c); // warm-up
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < candles.length; i++) sim.stepCandle('BTCUSDT', candles[i]!);
  const s = (performance.now() - t0) / 1000;
  return (rounds * candles.length) / s;
}

// node:http with keep-alive: undici's fetch costs more per request than the server does.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function restRate(baseUrl: string, durationMs: number): Promise<{ publicRps: number; privateRps: number }> {
  const run = async (makeReq: () => Promise<void>): Promise<number> => {
    let n = 0;
    const end = performance.now() + durationMs;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        await makeReq();
        n++;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, worker));
    return n / ((performance.now() - t0) / 1000);
  };
  const publicRps = await run(() => get(`${baseUrl}/v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=25`));
  const privateRps = await run(() => {
    const ts = String(Date.now());
    const q = 'category=linear&symbol=BTCUSDT';
    return get(`${baseUrl}/v5/order/realtime?${q}`, {
      'X-BAPI-API-KEY': DEFAULT_API_KEY,
      'X-BAPI-TIMESTAMP': ts,
      'X-BAPI-RECV-WINDOW': '5000',
      'X-BAPI-SIGN': signRest(DEFAULT_API_SECRET, ts, DEFAULT_API_KEY, '5000', q),
    });
  });
  return { publicRps, privateRps };
}

async function wsRate(url: string, step: (n: number) => number, durationMs: number): Promise<number> {
  const clients = 4;
  let received = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < clients; i++) {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('message', () => received++);
    ws.send(JSON.stringify({ op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'orderbook.1.BTCUSDT', 'publicTrade.BTCUSDT', 'tickers.BTCUSDT', 'kline.1.BTCUSDT'] }));
    sockets.push(ws);
  }
  await new Promise((r) => setTimeout(r, 100));
  received = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  // Steps in small batches, yielding so that sockets drain: a sustained rate, not a burst.
  while (performance.now() < end) {
    step(20);
    await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 200));
  const rate = received / ((performance.now() - t0) / 1000);
  for (const ws of sockets) ws.terminate();
  return rate;
}

const candlesPerSec = simStep();
process.stdout.write(`sim step (no resting orders): ${Math.round(candlesPerSec).toLocaleString('en-US')} candles/s\n`);

const sb = await startSandbox({ data: [FILE], rateLimits: false, ipLimitPer5s: 0, historyCandles: 1000 });
const rest = await restRate(sb.restUrl, 2500);
const wsPerSec = await wsRate(sb.wsPublicUrl, (n) => sb.step(n), 2500);
await sb.close();
agent.destroy();

const figures: Figure[] = [
  { name: 'sim stepCandle, no resting orders', value: candlesPerSec, unit: 'candles/s', goal: '>= 10,000,000', ok: candlesPerSec >= 10_000_000 },
  { name: 'REST public orderbook (16 clients)', value: rest.publicRps, unit: 'req/s', goal: '>= 2,000', ok: rest.publicRps >= 2000 },
  { name: 'REST signed order/realtime (16 clients)', value: rest.privateRps, unit: 'req/s', goal: '>= 2,000', ok: rest.privateRps >= 2000 },
  { name: 'WS public messages received (4 clients)', value: wsPerSec, unit: 'msg/s', goal: '>= 10,000', ok: wsPerSec >= 10_000 },
];
report('sandbox', figures);
