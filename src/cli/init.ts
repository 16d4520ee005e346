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

/** Typed in full to choose mainnet: real money needs a deliberate act, not a stray "y". */
export const MAINNET_PHRASE = 'I ACCEPT REAL MONEY RISK';

const USAGE = `Usage: node dist/bot.js init [--config PATH]

Asks mode, API key and secret (hidden; not asked in paper mode), symbols, strategy, risk per
trade, leverage and notifications; shows a summary; writes config.json and, for live modes, the
secrets file <stateDir>/secrets.json with mode 0600. Needs an interactive terminal.
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
  readonly symbols: readonly { symbol: string; strategy: StrategyName }[];
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
        if (bad.length) return `not a Bybit linear symbol: ${bad.join(', ')} (use capitals with no separator, e.g. BTCUSDT)`;
        return new Set(list).size === list.length ? null : 'a symbol is listed twice';
      },
    });
    const symbols: { symbol: string; strategy: StrategyName }[] = [];
    for (const symbol of splitSymbols(symbolText)) {
      symbols.push({ symbol, strategy: await p.choose(`Strategy for ${symbol}`, STRATEGY_NAMES, 'scalper') });
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
    p.say(`  API key        ${apiKey ? `set (${apiKey.length} characters, stored in ${loaded.stateDir}/secrets.json, mode 0600)` : 'not needed in paper mode'}`);
    for (const s of symbols) p.say(`  ${s.symbol.padEnd(14)} ${s.strategy}`);
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
        : { symbol: s.symbol, strategy: 'maker', leverage: a.leverage },
    ),
    alerts: { termux: { enabled: a.notifications } },
  };
}

function splitSymbols(text: string): string[] {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
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
