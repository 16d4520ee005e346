/**
 * The first-run wizard (`init`, and `run` when config.json is missing on a terminal): asks the
 * few things that matter, shows a summary, then writes config.json and the secrets file (0600).
 * What it writes passes the same validation as a hand-edited file.
 */
import { existsSync, copyFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { MODES, STRATEGY_NAMES, type Mode, type StrategyName } from '../domain/types.js';
import { parseConfigText } from '../config/load.js';
import { SYMBOL_PATTERN } from '../config/schema.js';
import { writeSecrets } from '../config/secrets.js';
import type { Command, CommandIo } from './command.js';
import { defaultConfigPath } from './paths.js';
import { PromptAborted, Prompter } from './prompt.js';
import { symbolMinimum } from './symbolMinimum.js';

/** Typed in full to choose mainnet: real money needs a deliberate act, not a stray "y". */
export const MAINNET_PHRASE = 'I ACCEPT REAL MONEY RISK';

const USAGE = `Usage: node dist/bot.js init [--config PATH]

Asks mode, API key and secret (hidden; not asked in paper mode), symbols, strategy, the market
maker's order size (showing the symbol's minimum: from Bybit where it answers, else from a table
of common symbols), risk per trade, leverage and notifications; shows a summary; writes
config.json and, for live modes, the secrets file <stateDir>/secrets.json with mode 0600. Needs
an interactive terminal. POCKET_EXCHANGE__REST_URL points the minimum's look-up elsewhere.
Choosing mainnet asks you to type: ${MAINNET_PHRASE}`;

export const initCommand: Command = {
  name: 'init',
  summary: 'first-run wizard: writes config.json and the secrets file',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) {
      io.stderr.write(USAGE + '\n');
      return 0;
    }
    const path = defaultConfigPath(io, values.config);
    if (!io.stdin.isTTY) {
      io.stderr.write('init needs an interactive terminal (stdin is not a TTY). Write config.json by hand instead; see README.md.\n');
      return 2;
    }
    return (await runWizard(path, io)) ? 0 : 1;
  },
};

export interface WizardAnswers {
  readonly mode: Mode;
  readonly apiKey: string | null;
  readonly apiSecret: string | null;
  /** `orderQty`: the maker's size per quote in the base coin (the scalper sizes by risk). */
  readonly symbols: readonly { symbol: string; strategy: StrategyName; orderQty?: number }[];
  readonly riskPerTradePct: number;
  readonly leverage: number;
  readonly notifications: boolean;
}

/** Runs the wizard on a terminal; returns true when config.json was written. */
export async function runWizard(configPath: string, io: CommandIo): Promise<boolean> {
  const p = new Prompter(io.stdin, io.stderr);
  try {
    p.say('pocket-scalper setup. Press Enter to accept the [default]. Ctrl-C cancels; nothing is written until the end.');
    if (existsSync(configPath) && !(await p.confirm(`${configPath} exists. Replace it (the old file is kept as a .bak copy)?`, false))) {
      p.say('Nothing changed.');
      return false;
    }
    const mode = await p.choose('Mode: paper trades on simulated money with live prices', MODES, 'paper');
    if (mode === 'mainnet') {
      p.say('Mainnet trades REAL MONEY. The bot can lose it. Use testnet or demo first.');
      await p.ask(`Type "${MAINNET_PHRASE}" to continue`, {
        validate: (a) => (a === MAINNET_PHRASE ? null : `that is not the phrase; type exactly: ${MAINNET_PHRASE} (or Ctrl-C to stop)`),
      });
    }
    let apiKey: string | null = null;
    let apiSecret: string | null = null;
    if (mode !== 'paper') {
      p.say(`Create an API key on Bybit ${mode} with Contract trade permission only (never withdrawal).`);
      apiKey = await p.ask('API key (hidden)', { hidden: true, validate: (a) => (/^[A-Za-z0-9]{8,64}$/.test(a) ? null : 'an API key is 8-64 letters and digits') });
      apiSecret = await p.ask('API secret (hidden)', { hidden: true, validate: (a) => (/^[A-Za-z0-9]{16,128}$/.test(a) ? null : 'an API secret is 16-128 letters and digits') });
    }
    const symbolText = await p.ask('Symbols, comma-separated', {
      default: 'BTCUSDT',
      validate: (a) => {
        const list = splitSymbols(a);
        if (list.length === 0) return 'name at least one symbol, e.g. BTCUSDT';
        const bad = list.filter((s) => !SYMBOL_PATTERN.test(s));
        if (bad.length) return `not a Bybit linear symbol: ${bad.join(', ')} (no separator, e.g. BTCUSDT)`;
        return new Set(list).size === list.length ? null : 'a symbol is listed twice';
      },
    });
    const symbols: { symbol: string; strategy: StrategyName; orderQty?: number }[] = [];
    for (const symbol of splitSymbols(symbolText)) {
      const strategy = await p.choose(`Strategy for ${symbol}`, STRATEGY_NAMES, 'scalper');
      if (strategy === 'scalper') symbols.push({ symbol, strategy });
      else symbols.push({ symbol, strategy, orderQty: await askOrderQty(p, symbol, mode, io.env.POCKET_EXCHANGE__REST_URL) });
    }
    const riskPerTradePct = Number(
      await p.ask('Risk per trade, % of equity', { default: '1', validate: (a) => (isNumberIn(a, 0.01, 10) ? null : 'a number from 0.01 to 10') }),
    );
    const leverage = Number(await p.ask('Leverage', { default: '3', validate: (a) => (/^\d+$/.test(a) && isNumberIn(a, 1, 100) ? null : 'a whole number from 1 to 100') }));
    const notifications = await p.confirm('Android notifications (needs Termux:API)', true);

    const answers: WizardAnswers = { mode, apiKey, apiSecret, symbols, riskPerTradePct, leverage, notifications };
    const text = JSON.stringify(configFromAnswers(answers), null, 2) + '\n';
    // The wizard writes only what validates, exactly as a hand edit would be checked.
    const loaded = parseConfigText(text, configPath);

    p.say('');
    p.say('Summary');
    p.say(`  mode           ${mode}`);
    // Nothing is stored before the owner says yes below.
    p.say(`  API key        ${apiKey ? `given (${apiKey.length} characters); will be stored in ${loaded.stateDir}/secrets.json, mode 0600` : 'not needed in paper mode'}`);
    for (const s of symbols) p.say(`  ${s.symbol.padEnd(14)} ${s.strategy}${s.orderQty !== undefined ? `, ${s.orderQty} ${baseCoin(s.symbol)} per quote` : ''}`);
    p.say(`  risk per trade ${riskPerTradePct} %`);
    p.say(`  leverage       ${leverage}x`);
    p.say(`  notifications  ${notifications ? 'on' : 'off'}`);
    if (!(await p.confirm(`Write ${configPath}?`, true))) {
      p.say('Nothing written.');
      return false;
    }
    writeConfigFile(configPath, text);
    if (apiKey && apiSecret) {
      const secretsFile = writeSecrets(loaded.stateDir, { apiKey, apiSecret });
      p.say(`Wrote ${secretsFile} (mode 0600).`);
    }
    p.say(`Wrote ${configPath}. Check it with: node dist/bot.js config check`);
    return true;
  } catch (e) {
    if (e instanceof PromptAborted) {
      io.stderr.write('\nCancelled; nothing written.\n');
      return false;
    }
    throw e;
  } finally {
    p.close();
  }
}

export function configFromAnswers(a: WizardAnswers): Record<string, unknown> {
  return {
    mode: a.mode,
    ...(a.mode === 'mainnet' ? { confirmMainnet: true } : {}),
    symbols: a.symbols.map((s) =>
      s.strategy === 'scalper'
        ? { symbol: s.symbol, strategy: 'scalper', leverage: a.leverage, sizing: { mode: 'risk', riskPerTradePct: a.riskPerTradePct } }
        : { symbol: s.symbol, strategy: 'maker', leverage: a.leverage, ...(s.orderQty !== undefined ? { params: { orderQty: s.orderQty } } : {}) },
    ),
    alerts: { termux: { enabled: a.notifications } },
  };
}

/** Symbols as typed, upper-cased: Bybit's names are in capitals, a phone keyboard starts in lower case. */
function splitSymbols(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
}

function baseCoin(symbol: string): string {
  return symbol.replace(/(USDT|USDC)$/, '');
}

/**
 * The maker quotes a fixed size: one below the symbol's minimum can never trade, so the minimum is
 * shown and enforced where it is known (from Bybit, else the shipped table), and the default is it.
 */
async function askOrderQty(p: Prompter, symbol: string, mode: Mode, restUrl: string | undefined): Promise<number> {
  const coin = baseCoin(symbol);
  p.say(`Looking up the minimum order of ${symbol}...`);
  const min = await symbolMinimum(symbol, { mode, restUrl: restUrl || null });
  if (min) p.say(`${symbol}: the smallest order is ${min.minQty} ${coin} (${min.from === 'exchange' ? 'from Bybit' : "Bybit could not be asked: from pocket-scalper's list of common symbols"}).`);
  else p.say(`${symbol}: the smallest order is not known offline; check it on Bybit (the contract's "Min. order quantity").`);
  const answer = await p.ask(`Order size per quote for ${symbol}, in ${coin}`, {
    ...(min ? { default: min.minQty } : {}),
    validate: (a) => {
      const n = Number(a);
      if (a.trim() === '' || !Number.isFinite(n) || n <= 0) return `a size in ${coin} greater than 0, e.g. ${min?.minQty ?? '0.01'}`;
      if (min && n < Number(min.minQty)) return `below ${symbol}'s minimum of ${min.minQty} ${coin}: it could never trade`;
      return null;
    },
  });
  return Number(answer);
}

function isNumberIn(text: string, min: number, max: number): boolean {
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) && n >= min && n <= max;
}

/** Keeps the previous file as `.bak` and replaces atomically, so an interrupted write loses nothing. */
function writeConfigFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path)) copyFileSync(path, `${path}.bak`);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
