import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/configCheck.js';
import { ConfigError, envOverrides, loadConfig, parseConfigText } from '../../src/config/load.js';
import { DEFAULT_SCALPER_PARAMS } from '../../src/strategies/scalperParams.js';
import { memoryIo, ROOT } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MINIMAL = '{"mode": "paper", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}';

/** Runs `config check` on a file with the given text; returns exit code, output and whether the file changed. */
async function check(text: string, extra: { env?: NodeJS.ProcessEnv; sets?: string[]; json?: boolean } = {}) {
  const path = join(dir, 'config.json');
  writeFileSync(path, text);
  const before = readFileSync(path);
  const io = memoryIo({ cwd: dir, env: extra.env ?? {} });
  const args = ['check', '--config', path, ...(extra.json ? ['--json'] : []), ...(extra.sets ?? []).flatMap((s) => ['--set', s])];
  const code = await configCommand.run(args, io);
  return { code, out: io.out(), err: io.err(), unchanged: Buffer.compare(before, readFileSync(path)) === 0 };
}

describe('config.json validation', () => {
  it('accepts the committed default config.json, which is paper mode', () => {
    const loaded = loadConfig({ path: join(ROOT, 'config.json') });
    expect(loaded.config.mode).toBe('paper');
    expect(loaded.config.symbols.map((s) => s.strategy)).toEqual(['scalper', 'maker']);
  });

  it('the committed config.json trades as committed: config check finds nothing to warn about', async () => {
    const r = await check(readFileSync(join(ROOT, 'config.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.err, 'no warnings').toBe('');
    expect(r.out).toMatch(/config\.json: valid/);
  });

  it('warns when a market maker\'s size is below the symbol\'s known minimum order (the default 0.001 on ETHUSDT)', async () => {
    const r = await check('{"symbols": [{"symbol": "ETHUSDT", "strategy": "maker"}, {"symbol": "XRPUSDT", "strategy": "maker", "params": {"orderQty": 1}}]}');
    expect(r.code, 'a warning, not an error: the file is valid').toBe(0);
    expect(r.err).toMatch(/warning: symbols\[0\]\.params\.orderQty is 0\.001 ETH, below ETHUSDT's minimum order of 0\.01 ETH: the market maker could never quote\. Set "params": \{"orderQty": 0\.01\} or more/);
    expect(r.err, 'XRPUSDT at its minimum is fine').not.toMatch(/XRPUSDT/);
    const json = await check('{"symbols": [{"symbol": "ETHUSDT", "strategy": "maker"}]}', { json: true });
    expect((JSON.parse(json.out) as { warnings: string[] }).warnings.join('\n')).toMatch(/below ETHUSDT's minimum order of 0\.01 ETH/);
  });

  it('accepts a symbol in lower case and upper-cases it', () => {
    const { config } = parseConfigText('{"symbols": [{"symbol": "ethusdt", "strategy": "scalper"}]}', join(dir, 'config.json'));
    expect(config.symbols[0]!.symbol).toBe('ETHUSDT');
  });

  it('entry: market by default; a limit entry is checked field by field, each problem naming its field and the expected form (issue 24 item 5)', () => {
    const s = parseConfigText(MINIMAL, join(dir, 'config.json')).config.symbols[0]!;
    if (s.strategy !== 'scalper') throw new Error('unreachable');
    expect(s.entry).toEqual({ type: 'market', offsetPct: 0, timeoutCandles: 3 });
    const bad = '{"symbols": [{"symbol": "BTCUSDT", "strategy": "scalper", "entry": {"type": "limt", "offsetPct": -1, "timeoutCandles": 0.5}}]}';
    let error: unknown;
    try {
      parseConfigText(bad, join(dir, 'config.json'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toContain('symbols[0].entry.type: expected "market" or "limit" (found "limt")');
    expect(text).toContain('symbols[0].entry.offsetPct: expected an offset in percent from 0 to 5 (found -1)');
    expect(text).toContain('symbols[0].entry.timeoutCandles: expected a number of candles (no decimals) (found 0.5)');
  });

  it('fills every default from a minimal file of a few lines', () => {
    const { config } = parseConfigText(MINIMAL, join(dir, 'config.json'));
    const s = config.symbols[0]!;
    expect(s.strategy).toBe('scalper');
    if (s.strategy !== 'scalper') throw new Error('unreachable');
    expect(s.params).toEqual(DEFAULT_SCALPER_PARAMS);
    expect(s.sizing).toEqual({ mode: 'risk', riskPerTradePct: 1, maxNotionalUsdt: null });
    expect(config.clock.ntpServers.length).toBeGreaterThan(0);
    expect(config.risk.maxDailyLossPct).toBe(3);
  });

  // One case per class of mistake an owner makes while editing on a phone. Each must exit 2, name
  // the field (or line and column), say what is expected, print no stack trace, and leave the file as it was.
  const cases: [string, string, RegExp[]][] = [
    ['syntax error (missing comma)', '{\n  "mode": "paper"\n  "symbols": []\n}', [/line 3, column 3/, /expected "," or "}"/]],
    ['syntax error (trailing comma)', '{"mode": "paper", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"},]}', [/line 1, column 7[0-9]/, /trailing comma/]],
    ['wrong type', '{"symbols": [{"symbol": "BTCUSDT", "strategy": "scalper", "leverage": "5"}]}', [/symbols\[0\]\.leverage/, /expected a leverage/, /found "5"/]],
    ['unknown strategy', '{"symbols": [{"symbol": "BTCUSDT", "strategy": "grid"}]}', [/symbols\[0\]\.strategy/, /"scalper" or "strategy": "maker"/, /found "grid"/]],
    ['malformed symbol', '{"symbols": [{"symbol": "btc-usdt", "strategy": "scalper"}]}', [/symbols\[0\]\.symbol/, /such as "BTCUSDT"/, /found "btc-usdt"/]],
    ['out-of-range number', '{"symbols": [{"symbol": "BTCUSDT", "strategy": "scalper", "params": {"rsiLength": 0}}]}', [/symbols\[0\]\.params\.rsiLength/, /found 0/]],
    ['unknown key', '{"mode": "paper", "riskk": {}, "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}', [/riskk: unknown setting/]],
    ['unknown mode', '{"mode": "live", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}', [/mode: expected one of paper, testnet, demo, mainnet/, /found "live"/]],
    ['secret in config.json', '{"apiSecret": "fake-secret-for-tests", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}', [/apiSecret: secrets do not belong in config.json/]],
    ['mainnet without confirmation', '{"mode": "mainnet", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}', [/confirmMainnet: mode "mainnet" trades real money/]],
    ['ladder and targets disagree', '{"symbols": [{"symbol": "BTCUSDT", "strategy": "scalper", "exits": {"ladderFractions": [0.5, 0.5]}}]}', [/symbols\[0\]\.exits\.ladderFractions: exits.ladderFractions must have one fraction per target/]],
    ['bad time zone', '{"risk": {"dayTimeZone": "Mars/Olympus"}, "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}', [/risk\.dayTimeZone: expected an IANA time zone/]],
    ['duplicate symbol', '{"symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}, {"symbol": "BTCUSDT", "strategy": "maker"}]}', [/symbols: each symbol may appear only once/]],
  ];
  for (const [name, text, patterns] of cases) {
    it(`rejects a ${name} with a clear message, exit 2, file untouched`, async () => {
      const r = await check(text);
      expect(r.code).toBe(2);
      expect(r.unchanged).toBe(true);
      for (const p of patterns) expect(r.err).toMatch(p);
      expect(r.err).toMatch(/nothing was changed/);
      expect(r.err, 'no stack trace for a user mistake').not.toMatch(/\n\s+at /);
      expect(r.err).not.toContain("fake-secret-for-tests");
    });
  }

  it('reports every problem at once, one line each', async () => {
    const r = await check('{"mode": "x", "symbols": [{"symbol": "btc", "strategy": "scalper", "leverage": 500}]}');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/3 problems/);
    expect(r.err.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  it('gives the problems as JSON with --json', async () => {
    const r = await check('{"symbols": [{"symbol": "btc-usdt", "strategy": "scalper"}]}', { json: true });
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.out) as { ok: boolean; problems: { path: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems[0]!.path).toBe('symbols[0].symbol');
  });
});

describe('layering: defaults → config.json → environment → --set', () => {
  const file = '{"mode": "paper", "risk": {"maxDailyLossPct": 2}, "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper", "leverage": 4}]}';

  it('uses the default where nothing sets a value', () => {
    expect(parseConfigText(file, join(dir, 'c.json')).config.risk.maxDrawdownPct).toBe(15);
  });
  it('config.json beats the default', () => {
    expect(parseConfigText(file, join(dir, 'c.json')).config.risk.maxDailyLossPct).toBe(2);
  });
  it('the environment beats config.json', () => {
    const env = { POCKET_RISK__MAX_DAILY_LOSS_PCT: '2.5', POCKET_SYMBOLS__0__LEVERAGE: '6' };
    const { config } = parseConfigText(file, join(dir, 'c.json'), { env });
    expect(config.risk.maxDailyLossPct).toBe(2.5);
    expect(config.symbols[0]!.leverage).toBe(6);
  });
  it('--set beats the environment', () => {
    const env = { POCKET_RISK__MAX_DAILY_LOSS_PCT: '2.5' };
    const { config } = parseConfigText(file, join(dir, 'c.json'), { env, sets: ['risk.maxDailyLossPct=1.5', 'symbols.0.params.rsiLength=10'] });
    expect(config.risk.maxDailyLossPct).toBe(1.5);
    const s = config.symbols[0]!;
    expect(s.strategy === 'scalper' && s.params.rsiLength).toBe(10);
  });
  it('names the environment variable or --set argument behind a bad value', () => {
    expect(() => parseConfigText(file, join(dir, 'c.json'), { env: { POCKET_MODE: 'live' } })).toThrow(/mode: .*\[from environment variable POCKET_MODE\]/);
    expect(() => parseConfigText(file, join(dir, 'c.json'), { sets: ['risk.maxDailyLossPct=-1'] })).toThrow(/risk\.maxDailyLossPct.*\[from --set risk\.maxDailyLossPct=-1\]/);
  });
  it('maps POCKET_ variable names to config paths', () => {
    expect(envOverrides({ POCKET_MODE: 'testnet', POCKET_ALERTS__TERMUX__TIMEOUT_MS: '500', OTHER: 'x' }).map(([n, o]) => [n, o.path.join('.'), o.value])).toEqual([
      ['POCKET_ALERTS__TERMUX__TIMEOUT_MS', 'alerts.termux.timeoutMs', 500],
      ['POCKET_MODE', 'mode', 'testnet'],
    ]);
  });
  it('resolves a relative stateDir against the config file directory', () => {
    const loaded = parseConfigText(MINIMAL, join(dir, 'sub', 'config.json'));
    expect(loaded.stateDir).toBe(join(dir, 'sub', 'state'));
  });
  it('throws ConfigError naming the file when it does not exist', () => {
    expect(() => loadConfig({ path: join(dir, 'missing.json') })).toThrow(ConfigError);
  });
});
