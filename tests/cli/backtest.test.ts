/**
 * `backtest` as the owner uses it (issue 9): the command over the real candle files, its JSON in
 * DESIGN section 4's shape, the phone-sized summary, sweeps saved under state/results, config and
 * `--set` handling, `--download` through the sandbox, and the HTML report rendered by a real headless
 * Chromium (Debian package `chromium`) to check that its charts are drawn and that it fits a phone.
 * Without Chromium those checks are skipped out loud, and fail in CI (tests/helpers/externalTool.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../src/backtest/backtestReport.js';
import { backtestCommand } from '../../src/cli/backtest.js';
import { WORKER_RUNS_ENV } from '../../src/cli/backtestJobs.js';
import { readCandleFile } from '../../src/domain/candleCsv.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { UsageError } from '../../src/util/errors.js';
import { countingProxy, type CountingProxy } from '../backtest/countingProxy.js';
import { countColour, readPng } from '../backtest/png.js';
import { builtBundle } from '../helpers/build.js';
import { memoryIo, runBot } from '../helpers/cli.js';
import { chromiumTool } from '../helpers/externalTool.js';
import { renderPage } from '../helpers/headlessPage.js';
import { removeProfile } from '../helpers/removeProfile.js';

const BTC_1M = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-backtest-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function backtest(args: string[], env: NodeJS.ProcessEnv = { NO_COLOR: '1' }) {
  const io = memoryIo({ cwd: dir, env });
  let code: number;
  try {
    code = await backtestCommand.run(args, io);
  } catch (e) {
    // src/cli/main.ts prints the usage and exits 2 for these.
    if (!(e instanceof UsageError) && !String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw e;
    code = 2;
    io.stderr.write((e as Error).message);
  }
  return { code, out: io.out(), err: io.err() };
}

const browser = chromiumTool();

function chromium(args: string[]): { stdout: string } {
  const profile = mkdtempSync(join(tmpdir(), 'pocket-chromium-'));
  try {
    const r = spawnSync(
      browser.need(),
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, ...args],
      { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.status !== 0) throw new Error(`chromium failed (${r.status}): ${r.stderr}`);
    return { stdout: r.stdout };
  } finally {
    removeProfile(profile);
  }
}

describe('backtest --data on the real BTCUSDT 1m file', () => {
  it('prints a phone-sized summary and writes the JSON in DESIGN section 4 shape and a self-contained HTML report', async () => {
    const r = await backtest(['--data', BTC_1M, '--json', 'out/result.json', '--html', 'out/report.html']);
    expect(r.code, r.err).toBe(0);
    const lines = r.err.split('\n');
    expect(r.err).toMatch(/Net PnL +-?[\d,.]+ USDT/);
    expect(r.err).toMatch(/[▁▂▃▄▅▆▇█]{40}/);
    expect(r.err, 'NO_COLOR: no escape codes').not.toContain('\u001b[');
    const table = lines.slice(0, lines.findIndex((l) => l.startsWith('Equity')) + 2);
    for (const l of table) expect(l.length, `"${l}" fits a 40-column phone screen`).toBeLessThanOrEqual(40);

    const report = JSON.parse(readFileSync(join(dir, 'out/result.json'), 'utf8')) as BacktestReport;
    expect(Object.keys(report)).toEqual(['strategy', 'params', 'data', 'metrics', 'trades', 'equity', 'perf']);
    expect(Object.keys(report.data)).toEqual(['file', 'symbol', 'interval', 'candles', 'from', 'to']);
    expect(Object.keys(report.metrics)).toEqual(['trades', 'winRate', 'netPnl', 'returnPct', 'maxDrawdownPct', 'sharpe', 'sortino', 'profitFactor', 'fees', 'exposurePct']);
    expect(Object.keys(report.trades[0]!)).toEqual(['side', 'entryTs', 'entryPrice', 'exitTs', 'exitPrice', 'qty', 'fees', 'pnl', 'exitReason']);
    expect(Object.keys(report.perf)).toEqual(['wallMs', 'candlesPerSec']);
    expect(report.strategy).toBe('scalper');
    expect(report.data).toMatchObject({ symbol: 'BTCUSDT', interval: 1 });
    expect(report.equity).toHaveLength(report.data.candles);
    expect(report.metrics.trades).toBe(report.trades.length);
    expect(report.perf.candlesPerSec).toBeGreaterThan(0);
    expect(report.params, 'the scalper defaults as run').toMatchObject({ proximityPct: 0.3, cooldownCandles: 3 });

    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html, 'nothing is fetched at view time').not.toMatch(/https?:\/\/|<script|<link|@import|url\(/);
    expect(html.match(/class="trade-marker /g)).toHaveLength(report.trades.length * 2);
  }, 120_000);

  it.skipIf(browser.skip)(browser.title('the HTML report, rendered by headless Chromium, draws its charts'), async () => {
    const r = await backtest(['--data', BTC_1M, '--html', 'out/report.html']);
    expect(r.code, r.err).toBe(0);
    // Rendered by a real browser: the DOM has the drawn paths, and the screenshot shows them.
    const dom = chromium(['--dump-dom', `file://${join(dir, 'out/report.html')}`]).stdout;
    expect(dom).toMatch(/<path id="equity-line" d="M[\d.]+ [\d.]+(L[\d.]+ [\d.]+){500,}/);
    expect(dom).toMatch(/<path id="drawdown-area" d="M/);
    const shot = join(dir, 'shot.png');
    chromium(['--window-size=800,1600', `--screenshot=${shot}`, `file://${join(dir, 'out/report.html')}`]);
    const img = readPng(readFileSync(shot));
    expect(img.width).toBe(800);
    expect(countColour(img, 0x15, 0x65, 0xc0), 'pixels of the blue equity line').toBeGreaterThan(500);
    expect(countColour(img, 0xc6, 0x28, 0x28, 20), 'pixels of the red drawdown outline and losing exits').toBeGreaterThan(200);
    expect(countColour(img, 0x2e, 0x7d, 0x32, 20), 'green entry/exit markers').toBeGreaterThan(20);
  }, 120_000);

  it.skipIf(browser.skip)(browser.title('the HTML report fits a phone (412×915) and a desktop: no sideways scroll, axis labels ≥ 11 px, parameters as a wrapped list'), async () => {
    // As the owner runs it; the maker report has all three charts and the longest parameter list.
    const r = await runBot(['backtest', '--data', BTC_1M, '--strategy', 'maker', '--from', '2025-06-05', '--to', '2025-06-07', '--html', 'report.html', '--json', 'report.json'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const params = Object.keys((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as BacktestReport).params);
    // Measured in the laid-out page: the widest element, every axis label's size as drawn (font size × the SVG's scale).
    const probe = `(() => {
      const labels = [...document.querySelectorAll('svg text')].map((t) => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a);
      const list = document.querySelector('ul.params');
      return { viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth, labels: labels.length, minLabelPx: Math.min(...labels),
               params: list ? list.querySelectorAll('li').length : 0, paramsRows: list ? Math.round(list.getBoundingClientRect().height / 18) : 0 };
    })()`;
    for (const screen of [{ width: 412, height: 915, mobile: true }, { width: 1280, height: 900, mobile: false }]) {
      const w = screen.width;
      const page = await renderPage(browser.need(), `file://${join(dir, 'report.html')}`, screen, probe);
      const m = page.value as { viewport: number; scrollWidth: number; labels: number; minLabelPx: number; params: number; paramsRows: number };
      expect(m.viewport, 'the screen width is the viewport').toBe(w);
      expect(m.scrollWidth, `${w} px: nothing wider than the screen (no sideways scroll)`).toBeLessThanOrEqual(w);
      expect(m.labels, 'y and x labels of three charts').toBeGreaterThanOrEqual(15);
      expect(m.minLabelPx, `${w} px: the smallest axis label as drawn`).toBeGreaterThanOrEqual(11);
      expect(m.params, 'one list item per parameter').toBe(params.length);
      if (w === 412) expect(m.paramsRows, 'the parameters wrap onto several lines').toBeGreaterThan(1);
      const img = readPng(page.png);
      expect([img.width, img.height], 'the screenshot has the screen size').toEqual([w, screen.height]);
      writeFileSync(join(tmpdir(), `pocket-report-${w}.png`), page.png);
      expect(countColour(img, 0x15, 0x65, 0xc0), `${w} px: the blue equity line is drawn`).toBeGreaterThan(100);
    }
  }, 240_000);

  it('colours the summary when FORCE_COLOR asks for it', async () => {
    const r = await backtest(['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-06'], { FORCE_COLOR: '1' });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('\u001b[');
  });

  it('--from/--to select the window; the candles before --from warm the indicators up', async () => {
    const r = await backtest(['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-06T12:00', '--json', '-']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as BacktestReport;
    expect(report.data.from).toBe('2025-06-05T00:00:00.000Z');
    expect(report.data.to).toBe('2025-06-06T12:00:00.000Z');
    expect(report.data.candles).toBe(36 * 60);
    expect(report.equity[0]![0]).toBe(Date.UTC(2025, 5, 5));
  });
});

describe('config and --set', () => {
  it('uses ./config.json: the symbol entry, its params and the paper balance; --set reaches params, entry paths and paper.*', async () => {
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ paper: { startBalanceUsdt: 5000 }, symbols: [{ symbol: 'ETHUSDT', strategy: 'maker' }, { symbol: 'BTCUSDT', strategy: 'scalper', leverage: 7, params: { proximityPct: 0.5 } }] }),
    );
    let r = await backtest(['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-06', '--json', '-']);
    expect(r.code, r.err).toBe(0);
    let report = JSON.parse(r.out) as BacktestReport;
    expect(report.params).toMatchObject({ proximityPct: 0.5 });
    expect(report.equity[0]![1]).toBe(5000);

    r = await backtest(['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-06', '--set', 'cooldownCandles=9', '--set', 'exits.timeExitCandles=5', '--set', 'paper.startBalanceUsdt=2000', '--json', '-']);
    expect(r.code, r.err).toBe(0);
    report = JSON.parse(r.out) as BacktestReport;
    expect(report.params).toMatchObject({ proximityPct: 0.5, cooldownCandles: 9 });
    expect(report.equity[0]![1]).toBe(2000);
    expect(report.trades.some((t) => t.exitReason === 'timeExit'), 'exits.timeExitCandles reached the exits').toBe(true);
  });

  it('--strategy maker backtests the maker and reports its inventory', async () => {
    const r = await backtest(['--data', BTC_1M, '--strategy', 'maker', '--from', '2025-06-05', '--to', '2025-06-05T12:00', '--json', 'maker.json', '--html', 'maker.html']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'maker.json'), 'utf8')) as BacktestReport;
    expect(report.strategy).toBe('maker');
    expect(report.inventory).toHaveLength(report.equity.length);
    expect(report.inventory!.some(([, q]) => q !== 0)).toBe(true);
    expect(readFileSync(join(dir, 'maker.html'), 'utf8')).toMatch(/<path id="inventory-line" d="M/);
  });

  it('refuses bad input with exit 2 and a message naming what is wrong', async () => {
    let r = await backtest(['--data', BTC_1M, '--set', 'nonsense=1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nonsense/);
    r = await backtest(['--data', join(dir, 'missing.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no such file/);
    r = await backtest([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--data FILE.csv or --download/);
    r = await backtest(['--data', BTC_1M, '--from', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--from expects an ISO date/);
    r = await backtest(['--download', '--symbol', 'BTCUSDT']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--interval --from --to/);
  });
});

describe('parameter sweeps', () => {
  it('runs the grid, prints a ranked table and saves every result under state/results', async () => {
    const r = await backtest(['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-07', '--set', 'proximityPct=0.2,0.4', '--set', 'exits.timeExitCandles=0,30', '--state-dir', 'st', '--json', '-']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('Sweep: 4 runs, best netPnl first');
    const files = readdirSync(join(dir, 'st', 'results')).sort();
    expect(files).toHaveLength(4);
    for (const f of files) expect(f).toMatch(/^backtest-\d{8}T\d{9}Z-00[1-4]\.json$/);
    const summary = JSON.parse(r.out) as { rankedBy: string; runs: { set: string; file: string; metrics: { netPnl: number } }[] };
    expect(summary.runs.map((x) => x.set).sort()).toEqual(['proximityPct=0.2 exits.timeExitCandles=0', 'proximityPct=0.2 exits.timeExitCandles=30', 'proximityPct=0.4 exits.timeExitCandles=0', 'proximityPct=0.4 exits.timeExitCandles=30']);
    const nets = summary.runs.map((x) => x.metrics.netPnl);
    expect(nets).toEqual([...nets].sort((a, b) => b - a));
    for (const run of summary.runs) {
      const saved = JSON.parse(readFileSync(run.file, 'utf8')) as BacktestReport;
      expect(saved.metrics.netPnl).toBe(run.metrics.netPnl);
      expect(saved.params.proximityPct).toBe(Number(/proximityPct=([\d.]+)/.exec(run.set)![1]));
    }
  });
});

describe('sweeps on worker threads (the real bundle)', () => {
  const SWEEP = ['--data', BTC_1M, '--from', '2025-06-05', '--to', '2025-06-07', '--set', 'proximityPct=0.2,0.3,0.4,0.5', '--set', 'exits.timeExitCandles=0,30'];
  const withoutPerf = (text: string): string => text.replace(/,"perf":\{[^}]*\}\}\n$/, '');
  type Summary = { runs: { set: string; file: string; metrics: unknown; lockRefusals: unknown }[] };
  /** The sweep on workers (its `--json -`) ranked and saved every run as the in-process sweep did; its runs. */
  const expectSameRuns = (workersJson: string, sequentialJson: string): Summary['runs'] => {
    const a = (JSON.parse(workersJson) as Summary).runs;
    const b = (JSON.parse(sequentialJson) as Summary).runs;
    expect(a).toHaveLength(8);
    expect(a.map(({ file: _f, ...x }) => x)).toEqual(b.map(({ file: _f, ...x }) => x));
    for (const [i, run] of a.entries()) {
      expect(run.file.slice(-9)).toBe(b[i]!.file.slice(-9));
      expect(withoutPerf(readFileSync(run.file, 'utf8'))).toBe(withoutPerf(readFileSync(b[i]!.file, 'utf8')));
    }
    return a;
  };

  it('gives the same ranking and the same saved results as the runs one after another, with progress and an ETA on stderr', async () => {
    const r = await runBot(['backtest', ...SWEEP, '--state-dir', 'workers', '--json', '-'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^backtest: sweep of 8 runs on [12] worker thread\(s\) \(\d+ core\(s\), [\d,]+ MB free memory: room for [\d,]+ worker\(s\) of about \d+ MB\)$/m);
    const bars = r.stderr.split('\n').filter((l) => l.startsWith('sweep ['));
    expect(bars).toHaveLength(8);
    bars.forEach((l, i) => expect(l).toMatch(new RegExp(`^sweep \\[[█░]{20}\\] ${i + 1}/8 runs, \\d+% of the candles, [\\d.]+ s, ${i === 7 ? 'done' : 'ETA [\\d.]+ s'}$`)));
    // In-process from the sources there is no bundle to start workers from: the runs go one by one.
    const seq = await backtest([...SWEEP, '--state-dir', 'sequential', '--json', '-']);
    expect(seq.code, seq.err).toBe(0);
    expect(seq.err).not.toMatch(/worker thread/);
    const runs = expectSameRuns(r.stdout, seq.out);
    expect(r.stderr.slice(r.stderr.indexOf('Sweep:'))).toBe(seq.err.slice(seq.err.indexOf('Sweep:')).replace(/sequential/g, 'workers'));
    // A worker runs job after job: the last runs of the sweep came from warm workers, and each is
    // what the same settings give as a command of its own.
    for (const set of ['proximityPct=0.5 exits.timeExitCandles=0', 'proximityPct=0.5 exits.timeExitCandles=30']) {
      const sets = set.split(' ').flatMap((kv) => ['--set', kv]);
      const alone = await runBot(['backtest', ...SWEEP.slice(0, 6), ...sets, '--state-dir', 'alone', '--json', 'alone.json'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 120_000 });
      expect(alone.code, alone.stderr).toBe(0);
      const swept = runs.find((x) => x.set === set)!;
      expect(withoutPerf(readFileSync(swept.file, 'utf8')), set).toBe(withoutPerf(readFileSync(join(dir, 'alone.json'), 'utf8')));
    }
  }, 300_000);

  it('gives the same results when its workers are replaced between runs', async () => {
    // What a long sweep does when a worker's heap has grown (backtestJobs.ts); the seam makes it happen after every run.
    const r = await runBot(['backtest', ...SWEEP, '--state-dir', 'replaced', '--json', '-'], { cwd: dir, env: { NO_COLOR: '1', [WORKER_RUNS_ENV]: '1' }, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const seq = await backtest([...SWEEP, '--state-dir', 'sequential', '--json', '-']);
    expect(seq.code, seq.err).toBe(0);
    expectSameRuns(r.stdout, seq.out);
  }, 300_000);

  it('reports a run that fails in its worker as the command does, and exits', async () => {
    const r = await runBot(['backtest', '--data', BTC_1M, '--from', '2031-01-01', '--set', 'proximityPct=0.2,0.4', '--state-dir', 'st'], { cwd: dir, env: { NO_COLOR: '1' }, timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the window holds no candles (check --from/--to against the data)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'st', 'results'))).toBe(false);
  }, 180_000);
});

describe('backtest --download through the sandbox', () => {
  let sb: Sandbox;
  let proxy: CountingProxy;
  beforeAll(async () => {
    const candles = readCandleFile(BTC_1M).slice(0, 3001);
    sb = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles }], historyCandles: candles.length - 1, rateLimits: false });
    proxy = await countingProxy(sb.restUrl);
  });
  afterAll(async () => {
    await proxy.close();
    await sb.close();
  });

  it('downloads with a progress bar into the state directory, then runs from the cache without a request', async () => {
    // Window 2025-05-29 20:00 → 22:00; the warm-up before it is downloaded too.
    const args = ['--download', '--symbol', 'BTCUSDT', '--interval', '1m', '--from', '2025-05-29T20:00', '--to', '2025-05-29T22:00', '--exchange-url', proxy.url, '--state-dir', 'st', '--json', '-'];
    let r = await backtest(args);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/download BTCUSDT 1m \[█+\] 100%/);
    expect(r.err).toMatch(/downloaded \d+ candles in \d+ request\(s\)/);
    const first = JSON.parse(r.out) as BacktestReport;
    expect(first.data.candles).toBe(120);
    expect(existsSync(join(dir, 'st', 'cache', 'candles'))).toBe(true);
    proxy.log.length = 0;
    r = await backtest(args);
    expect(r.code, r.err).toBe(0);
    expect(proxy.log).toEqual([]);
    expect(r.err).toMatch(/candles from the cache/);
    expect((JSON.parse(r.out) as BacktestReport).equity).toEqual(first.equity);
  });

  it('the bundle downloads through its own fetch over node:http: undici is left out of it and Node\'s fetch (undici, ~18 MB) is never called', async () => {
    // A preloaded spy records every call of Node's global fetch.
    const spy = join(dir, 'fetch-spy.cjs');
    const calls = join(dir, 'global-fetch.log');
    writeFileSync(spy, "const fs = require('node:fs'); const f = globalThis.fetch; globalThis.fetch = (...a) => { fs.appendFileSync(process.env.FETCH_SPY, String(a[0]) + '\\n'); return f(...a); };\n");
    proxy.log.length = 0;
    const args = ['backtest', '--download', '--symbol', 'BTCUSDT', '--interval', '1m', '--from', '2025-05-29T20:00', '--to', '2025-05-29T22:00', '--exchange-url', proxy.url, '--state-dir', 'st', '--json', '-'];
    const r = await runBot(args, { cwd: dir, env: { NODE_OPTIONS: `--require ${spy}`, FETCH_SPY: calls }, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/downloaded \d+ candles in \d+ request\(s\)/);
    expect((JSON.parse(r.stdout) as BacktestReport).data.candles).toBe(120);
    expect(proxy.log.length, 'the requests reached the exchange').toBeGreaterThan(0);
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '', 'no request went through Node\'s fetch').toBe('');
    expect(readFileSync(join(dirname(builtBundle('bot')), 'THIRD-PARTY-LICENSES.txt'), 'utf8'), 'undici is not bundled').not.toMatch(/^undici@/m);
  }, 180_000);
});
