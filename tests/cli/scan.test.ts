/**
 * `node dist/bot.js scan` as a user runs it: the real bundle against the sandbox on loopback, which
 * replays real BTCUSDT and ETHUSDT candles and also lists rows recorded from Bybit that a scan must
 * leave out (a pre-launch instrument, a dated future's ticker; tests/fixtures/bybit-real).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BybitRest } from '../../src/exchange/bybit/bybitRest.js';
import { bybitUrls } from '../../src/exchange/bybit/bybitUrls.js';
import type { ListedInstrument, TickerFields } from '../../src/sandbox/marketData.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { runBot } from '../helpers/cli.js';
import { PtySession } from '../helpers/pty.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/bybit-real/', import.meta.url));

interface Entry {
  name: string;
  response: unknown;
}
function fixture(file: string, name: string): Entry {
  const doc = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { entries: Entry[] };
  const e = doc.entries.find((x) => x.name === name);
  if (!e) throw new Error(`no fixture ${name} in ${file}`);
  return e;
}
/** BIOUSDT in status PreLaunch (Bybit docs, instruments-info example #2). */
const PRELAUNCH = (fixture('market-instruments-info.json', 'docs linear instruments #2 [linear] BIOUSDT status PreLaunch').response as { result: { list: ListedInstrument[] } }).result.list[0]!;
/** BTC-26DEC25, a dated future (Bybit docs, websocket tickers example #2): a linear ticker that is no perpetual. */
const FUTURE = (fixture('ws-public.json', 'docs tickers topic #2 [linear] tickers.BTC-26DEC25 snapshot').response as { data: Record<string, string> }).data as TickerFields;

interface ScanRowJson {
  symbol: string;
  bidPrice: string;
  askPrice: string;
  turnover24h: number;
  spreadBps: number;
  atr1mPct: number | null;
  atr5mPct: number | null;
  fundingRatePct: number | null;
  minOrderValue: number;
}
interface ScanJson {
  perpetuals: number;
  passed: number;
  rows: ScanRowJson[];
  problems: string[];
}

let sb: Sandbox;
let bot: string;
let dir: string;
let session: PtySession | null = null;

beforeAll(async () => {
  bot = builtBundle('bot');
  sb = await startSandbox({ data: [BTC, ETH], listings: { instruments: [PRELAUNCH], tickers: [FUTURE] } });
  sb.advanceCandles(3);
});
afterAll(async () => {
  await sb.close();
});
afterEach(() => {
  session?.kill();
  session = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'pocket-scan-'));
  return dir;
}

/** Wilder's ATR(14) over the closed candles of Bybit's kline answer (newest row = the forming candle), % of the last close. */
async function referenceAtrPct(symbol: string, interval: string): Promise<number> {
  const res = (await (await fetch(`${sb.restUrl}/v5/market/kline?category=linear&symbol=${symbol}&interval=${interval}&limit=16`)).json()) as { result: { list: string[][] } };
  const rows = res.result.list.slice(1).reverse().map((r) => ({ high: Number(r[2]), low: Number(r[3]), close: Number(r[4]) }));
  const trs = rows.map((c, i) => (i === 0 ? c.high - c.low : Math.max(c.high - c.low, Math.abs(c.high - rows[i - 1]!.close), Math.abs(c.low - rows[i - 1]!.close))));
  let atr = trs.slice(0, 14).reduce((a, b) => a + b, 0) / 14;
  for (const tr of trs.slice(14)) atr = (atr * 13 + tr) / 14;
  return (atr / rows[rows.length - 1]!.close) * 100;
}

const CONFIG_TEXT = `{
    "mode": "paper",
    "symbols": [
        {
            "symbol": "BTCUSDT",
            "strategy": "scalper"
        }
    ],
    "paper": { "startBalanceUsdt": 500 },
    "scanner": { "minTurnover24h": 0 }
}
`;

describe('scan --json', () => {
  it('lists the replayed perpetuals ranked by turnover, with spread, ATR %, funding and minimum order value; nothing else on stdout', async () => {
    const r = await runBot(['scan', '--json', '--exchange-url', sb.restUrl, '--min-turnover', '0'], { cwd: tempDir() });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ScanJson;
    expect(doc.perpetuals, 'the pre-launch instrument and the dated future are left out').toBe(2);
    expect(doc.rows.map((x) => x.symbol)).toEqual([...doc.rows].sort((a, b) => b.turnover24h - a.turnover24h).map((x) => x.symbol));
    expect(new Set(doc.rows.map((x) => x.symbol))).toEqual(new Set(['BTCUSDT', 'ETHUSDT']));
    const tickers = (await (await fetch(`${sb.restUrl}/v5/market/tickers?category=linear`)).json()) as { result: { list: Record<string, string>[] } };
    for (const row of doc.rows) {
      const t = tickers.result.list.find((x) => x['symbol'] === row.symbol)!;
      const bid = Number(t['bid1Price']);
      const ask = Number(t['ask1Price']);
      expect(row.spreadBps).toBeCloseTo(((ask - bid) / ((ask + bid) / 2)) * 10_000, 9);
      expect(row.turnover24h).toBeCloseTo(Number(t['turnover24h']), 4);
      expect(row.fundingRatePct).toBeCloseTo(Number(t['fundingRate']) * 100, 12);
      expect(row.atr1mPct).toBeCloseTo(await referenceAtrPct(row.symbol, '1'), 9);
      expect(row.atr5mPct).toBeCloseTo(await referenceAtrPct(row.symbol, '5'), 9);
      // The sandbox's rules: BTC min qty 0.001, ETH 0.01, min value 5 USDT.
      expect(row.minOrderValue).toBeCloseTo(Math.max(5, (row.symbol === 'BTCUSDT' ? 0.001 : 0.01) * Number(t['lastPrice'])), 9);
    }
    expect(r.stderr, 'the progress line goes to stderr').toMatch(/measuring volatility: 2\/2 symbols/);
  });

  it('keeps only symbols within scanner.maxSpreadPct from config.json', async () => {
    const d = tempDir();
    // BTC's book is one 0.1 tick wide at ~106 000 (0.0001 %), ETH's one 0.01 tick at ~2 650 (0.0004 %).
    writeFileSync(join(d, 'config.json'), JSON.stringify({ mode: 'paper', exchange: { restUrl: sb.restUrl }, scanner: { maxSpreadPct: 0.0002, minTurnover24h: 0 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
    const r = await runBot(['scan', '--json'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ScanJson;
    expect(doc.rows.map((x) => x.symbol)).toEqual(['BTCUSDT']);
    expect(doc.passed).toBe(1);
  });
});

describe('scan as a table', () => {
  it('fits a 48-column phone screen', async () => {
    const r = await runBot(['scan', '--exchange-url', sb.restUrl, '--min-turnover', '0'], { cwd: tempDir() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(48);
    expect(r.stderr).toMatch(/^coin +turn +sprd +atr1 +atr5 +fund +min\$$/m);
    expect(r.stderr).toMatch(/^BTC +\d+(\.\d)?[KMBT] +\d/m);
    expect(r.stderr).toMatch(/^ETH +/m);
  });

  it('answers exit 2 to a bad option and exit 1 when Bybit cannot be reached', async () => {
    const bad = await runBot(['scan', '--top', '0'], { cwd: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--top expects a whole number from 1 to 50/);
    const down = await runBot(['scan', '--exchange-url', 'http://127.0.0.1:1'], { cwd: dir, timeoutMs: 90_000 });
    expect(down.code, down.stderr).toBe(1);
    expect(down.stderr, 'it retries with backoff and says so before giving up').toMatch(/Bybit did not answer \(.*\); trying again in \d+\.\d s \(attempt 1\)/);
    expect(down.stderr).toMatch(/could not be read/);
  }, 100_000);
});

describe('scan --add', () => {
  it('refuses without a terminal unless --yes, and changes nothing', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'config.json'), CONFIG_TEXT);
    const r = await runBot(['scan', '--add', '2', '--exchange-url', sb.restUrl], { cwd: d });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--add asks for a confirmation on a terminal; without one, add --yes/);
    expect(readFileSync(join(d, 'config.json'), 'utf8')).toBe(CONFIG_TEXT);
  });

  it('--yes appends the new top symbols as disabled scalper entries and keeps the rest of the file as it was', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'config.json'), CONFIG_TEXT);
    const r = await runBot(['scan', '--add', '2', '--yes', '--exchange-url', sb.restUrl], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/already in .*config\.json: BTCUSDT/);
    const text = readFileSync(join(d, 'config.json'), 'utf8');
    const closeOfBtc = CONFIG_TEXT.indexOf('        }\n    ],') + '        }'.length;
    expect(text.slice(0, closeOfBtc), 'everything before the insertion is byte-for-byte the same').toBe(CONFIG_TEXT.slice(0, closeOfBtc));
    expect(text.slice(text.indexOf('\n    ],')), 'and everything after it').toBe(CONFIG_TEXT.slice(CONFIG_TEXT.indexOf('\n    ],')));
    expect(text).toContain('        { "symbol": "ETHUSDT", "strategy": "scalper", "enabled": false, "maxSpreadPct": 0.01 }\n');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['mode', 'symbols', 'paper', 'scanner']);
    const check = await runBot(['config', 'check', '--json'], { cwd: d });
    expect(check.code, check.stderr).toBe(0);
  });

  it('asks on a terminal and writes only after a yes', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'config.json'), CONFIG_TEXT);
    session = new PtySession([process.execPath, bot, 'scan', '--add', '1', '--exchange-url', sb.restUrl], { cwd: d });
    await session.expect(/Add ETHUSDT to [^]*as disabled scalper[^]*entries\? \(y\/n\) \[n\]:/, 20_000);
    expect(readFileSync(join(d, 'config.json'), 'utf8'), 'nothing written before the answer').toBe(CONFIG_TEXT);
    session.type('y');
    await session.expect(/added ETHUSDT/, 10_000);
    expect(await session.exited).toBe(0);
    const symbols = (JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as { symbols: { symbol: string; enabled?: boolean }[] }).symbols;
    expect(symbols.map((s) => [s.symbol, s.enabled])).toEqual([
      ['BTCUSDT', undefined],
      ['ETHUSDT', false],
    ]);
  }, 40_000);
});

describe('instruments paging', () => {
  it('follows nextPageCursor until Bybit has listed every instrument', async () => {
    const rest = new BybitRest({
      urls: bybitUrls('mainnet', { restUrl: sb.restUrl }),
      credentials: null,
      clock: { now: () => Date.now(), isTrusted: () => true, status: () => ({ trusted: true, reasons: [] }), remeasureNow: async () => undefined },
    });
    const paged = await rest.listInstruments(1);
    expect(paged.map((i) => i.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(rest.counters.requests, 'one request per page, and one for the empty cursor').toBe(2);
    rest.close();
  });
});
