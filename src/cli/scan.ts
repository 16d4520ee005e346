/**
 * `node dist/bot.js scan` (issue 24): Bybit's linear USDT perpetuals ranked by 24 h turnover, with
 * spread, volatility (ATR % on 1m and 5m), funding rate and minimum order value, filtered by
 * config.json's `scanner` section; `--add N` appends the top N to config.json as disabled scalper
 * entries after a confirmation. Public market data only: no key, nothing signed.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { ConfigError, loadConfig, parseConfigText } from '../config/load.js';
import { scannerSchema, type Config } from '../config/schema.js';
import { ExchangeError } from '../domain/exchangeErrors.js';
import { BybitRest } from '../exchange/bybit/bybitRest.js';
import { bybitUrls } from '../exchange/bybit/bybitUrls.js';
import { UsageError } from '../util/errors.js';
import type { LogFields, Logger } from '../util/logger.js';
import { addSymbolEntries } from './addSymbolEntries.js';
import type { Command, CommandIo } from './command.js';
import { exchangeBaseUrl } from './doctorChecks.js';
import { defaultConfigPath } from './paths.js';
import { Prompter } from './prompt.js';
import { MAX_MEASURED, scanMarket, type ScanProgress, type ScanResult } from './scanMarket.js';
import { renderScanTable } from './scanTable.js';

const SCANNER_DEFAULTS = v.parse(scannerSchema, {});

const USAGE = `Usage: node dist/bot.js scan [--json] [--top N] [--add N [--yes]]
                           [--config PATH] [--exchange-url URL]

Lists Bybit's linear USDT perpetuals ranked by 24 h turnover: spread
(bps), volatility (ATR(14) in % of the price, 1m and 5m candles),
funding rate and minimum order value. Only symbols whose spread is at
most scanner.maxSpreadPct (default ${SCANNER_DEFAULTS.maxSpreadPct} %) and whose 24 h turnover
is at least scanner.minTurnover24h (default ${SCANNER_DEFAULTS.minTurnover24h} USDT) are listed.

Options:
  --top N              how many to measure and list (default 20, at
                       most ${MAX_MEASURED})
  --max-spread-pct X   override scanner.maxSpreadPct
  --min-turnover X     override scanner.minTurnover24h (USDT)
  --add N              add the top N to config.json as disabled scalper
                       entries (asks first; symbols already there are
                       skipped); the rest of the file is kept as it is
  --yes                add without asking (needed without a terminal)
  --config PATH        config.json to read and add to (default
                       ./config.json; optional without --add)
  --exchange-url URL   Bybit base URL (default: exchange.restUrl, else
                       Bybit's for the mode; mainnet without a config)
  --json               one JSON document on stdout
  -h, --help           this text

Progress goes to stderr. Exit status: 0 done, 1 Bybit could not be
read (or the file not written), 2 usage or configuration error.
`;

function count(flag: string, text: string | undefined, def: number, max: number): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > max) throw new UsageError(`${flag} expects a whole number from 1 to ${max}, got "${text}"`);
  return n;
}

function amount(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag} expects a number from ${min} to ${max}, got "${text}"`);
  return n;
}

/** A one-line progress report on stderr: rewritten in place on a terminal, a line per step elsewhere. */
function progressReporter(io: CommandIo): { report: ScanProgress; done: () => void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let shown = false;
  const report: ScanProgress = (stage, done, total) => {
    const text = stage === 'listing' ? `reading Bybit's instruments and tickers (${done}/${total})` : `measuring volatility: ${done}/${total} symbols`;
    if (tty) {
      io.stderr.write(`\r\x1b[K${text}`);
      shown = true;
    } else if (done === 0 || done === total) io.stderr.write(`${text}\n`);
  };
  return { report, done: () => shown && io.stderr.write('\r\x1b[K') };
}

/** The REST pipeline's notes for a person: each retry (with its wait) and any malformed answer. */
function restNotes(io: CommandIo): Logger {
  const line = (message: string, fields?: LogFields): void => {
    io.stderr.write(`${message}${fields?.['error'] !== undefined ? `: ${String(fields['error'])}` : ''}\n`);
  };
  const notes: Logger = {
    debug: (message, fields) => {
      if (message !== 'retrying' || fields === undefined) return;
      const waitS = (Number(fields['waitMs']) / 1000).toFixed(1);
      io.stderr.write(`Bybit did not answer (${String(fields['error'])}); trying again in ${waitS} s (attempt ${String(fields['attempt'])})\n`);
    },
    info: () => {},
    warn: line,
    error: line,
    child: () => notes,
  };
  return notes;
}

interface Setup {
  readonly configPath: string;
  readonly config: Config | null;
  readonly baseUrl: string;
  readonly filter: { maxSpreadPct: number; minTurnover24h: number; top: number };
  readonly add: number;
  readonly yes: boolean;
  readonly json: boolean;
}

function setup(argv: readonly string[], io: CommandIo): Setup | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'boolean', default: false },
      top: { type: 'string' },
      'max-spread-pct': { type: 'string' },
      'min-turnover': { type: 'string' },
      add: { type: 'string' },
      yes: { type: 'boolean', default: false },
      config: { type: 'string' },
      'exchange-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const top = count('--top', values.top, 20, MAX_MEASURED);
  const add = values.add === undefined ? 0 : count('--add', values.add, 0, MAX_MEASURED);
  const configPath = defaultConfigPath(io, values.config);
  const haveConfig = values.config !== undefined || existsSync(configPath) || add > 0;
  const config = haveConfig ? loadConfig({ path: configPath, env: io.env }).config : null;
  const scanner = config?.scanner ?? SCANNER_DEFAULTS;
  const url = values['exchange-url'];
  if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) throw new UsageError(`--exchange-url expects an http:// or https:// URL, got "${url}"`);
  const baseUrl = url ?? (config ? exchangeBaseUrl(config) : bybitUrls('mainnet', { restUrl: io.env.POCKET_EXCHANGE__REST_URL ?? null }).rest);
  // Asked before anything is fetched, so a script without a terminal learns at once.
  if (add > 0 && !values.yes && io.stdin.isTTY !== true) throw new UsageError('--add asks for a confirmation on a terminal; without one, add --yes');
  return {
    configPath,
    config,
    baseUrl,
    filter: {
      maxSpreadPct: amount('--max-spread-pct', values['max-spread-pct'], 0.0001, 10) ?? scanner.maxSpreadPct,
      minTurnover24h: amount('--min-turnover', values['min-turnover'], 0, 1e15) ?? scanner.minTurnover24h,
      top: Math.max(top, add),
    },
    add,
    yes: values.yes,
    json: values.json,
  };
}

/** Appends the top `n` new symbols to config.json (after asking on a terminal); returns the exit code. */
async function addTop(s: Setup, result: ScanResult, io: CommandIo): Promise<number> {
  const have = new Set(s.config!.symbols.map((x) => x.symbol));
  const picked = result.rows.filter((r) => !have.has(r.symbol)).slice(0, s.add);
  const skipped = result.rows.slice(0, s.add).filter((r) => have.has(r.symbol)).map((r) => r.symbol);
  if (skipped.length) io.stderr.write(`already in ${s.configPath}: ${skipped.join(', ')}\n`);
  if (picked.length === 0) {
    io.stderr.write('nothing to add\n');
    return 0;
  }
  const names = picked.map((r) => r.symbol).join(', ');
  if (!s.yes) {
    const prompter = new Prompter(io.stdin, io.stderr);
    let ok: boolean;
    try {
      ok = await prompter.confirm(`Add ${names} to ${s.configPath} as disabled scalper entries?`, false);
    } finally {
      prompter.close();
    }
    if (!ok) {
      io.stderr.write('nothing changed\n');
      return 0;
    }
  }
  const text = readFileSync(s.configPath, 'utf8');
  const entries = picked.map((r) => ({ symbol: r.symbol, strategy: 'scalper', enabled: false, maxSpreadPct: s.filter.maxSpreadPct }));
  const next = addSymbolEntries(text, entries);
  // The edited text must still be a valid config before it replaces the file.
  parseConfigText(next, s.configPath, { env: io.env });
  const tmp = `${s.configPath}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, next);
    renameSync(tmp, s.configPath);
  } catch (e) {
    io.stderr.write(`could not write ${s.configPath}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  io.stderr.write(`added ${names} to ${s.configPath} (disabled: set "enabled": true to trade them)\n`);
  return 0;
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let s: Setup | 'help';
  try {
    s = setup(argv, io);
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(e.message + '\n');
      return 2;
    }
    throw e;
  }
  if (s === 'help') {
    io.stderr.write(USAGE);
    return 0;
  }
  const rest = new BybitRest({
    urls: bybitUrls('mainnet', { restUrl: s.baseUrl }),
    credentials: null,
    logger: restNotes(io),
    clock: { now: () => Date.now(), isTrusted: () => true, status: () => ({ trusted: true, reasons: [] }), remeasureNow: async () => undefined },
    ...(s.config ? { requestTimeoutMs: s.config.exchange.requestTimeoutMs } : {}),
  });
  const progress = progressReporter(io);
  let result: ScanResult;
  try {
    result = await scanMarket(rest, s.filter, progress.report);
  } catch (e) {
    progress.done();
    if (!(e instanceof ExchangeError)) throw e;
    io.stderr.write(`scan: Bybit at ${s.baseUrl} could not be read: ${e.message}\n`);
    return 1;
  } finally {
    rest.close();
  }
  progress.done();
  if (s.json) io.stdout.write(JSON.stringify({ exchange: s.baseUrl, filter: { maxSpreadPct: s.filter.maxSpreadPct, minTurnover24h: s.filter.minTurnover24h }, ...result }) + '\n');
  else io.stderr.write(renderScanTable(result, s.filter));
  return s.add > 0 ? addTop(s, result, io) : 0;
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'rank Bybit USDT perpetuals by turnover, spread and volatility; add some to config.json',
  usage: USAGE,
  run,
};
