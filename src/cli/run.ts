/**
 * `run` (the default command): loads and checks everything a trading session needs. The first-run
 * wizard starts when config.json is missing and stdin is a terminal; without a terminal the bot
 * refuses with exit 2 and says what to do.
 */
import { existsSync } from 'node:fs';
import { describeCandleFile } from '../domain/candleCsv.js';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { loadSecrets, SecretsError } from '../config/secrets.js';
import type { Command, CommandIo } from './command.js';
import { runWizard } from './init.js';
import type { RunOptions } from './runOptions.js';
import { startBot, type RunningBot } from './runBot.js';
import { bybitSaid, ExchangeError } from '../domain/exchangeErrors.js';
import { UserFacingError } from '../util/errors.js';
import { redact } from '../util/redact.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js [run] [options]

Trades per config.json. Without config.json, starts the setup wizard on a terminal.
  --config PATH        config file (default ./config.json, or $POCKET_CONFIG)
  --override FILE      override file laid over it (default: config.local.json beside it, if present)
  --state-dir DIR      state directory (default: stateDir from the config)
  --paper              paper trading (simulated account, live public data) whatever the mode
  --replay FILE.csv    rehearse offline against the built-in exchange sandbox replaying FILE;
                       several files separated by commas (one per symbol): --replay a.csv.gz,b.csv.gz
  --speed N            replay speed multiplier (with --replay)
  --set key.path=value override a setting (repeatable), e.g. --set risk.maxDailyLossPct=2
  --restore-backup     replace a corrupt state file by its newest valid backup`;

export const MINIMAL_CONFIG = '{"mode": "paper", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}';

export const runCommand: Command = {
  name: 'run',
  summary: 'trade per config.json (the default command)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        override: { type: 'string' },
        'state-dir': { type: 'string' },
        paper: { type: 'boolean' },
        replay: { type: 'string' },
        speed: { type: 'string' },
        set: { type: 'string', multiple: true },
        'restore-backup': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      io.stderr.write(USAGE + '\n');
      return 0;
    }
    const speed = values.speed === undefined ? 1 : Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0) {
      io.stderr.write(`--speed expects a positive number, got "${values.speed}"\n`);
      return 2;
    }
    if (values.speed !== undefined && values.replay === undefined) {
      io.stderr.write('--speed only applies with --replay FILE.csv\n');
      return 2;
    }
    const path = defaultConfigPath(io, values.config);
    if (!existsSync(path)) {
      if (!io.stdin.isTTY) {
        io.stderr.write(
          `No configuration at ${path}.\n` +
            `Run "node dist/bot.js init" in a terminal to create it, or write it by hand; the smallest valid file is:\n  ${MINIMAL_CONFIG}\n`,
        );
        return 2;
      }
      if (!(await runWizard(path, io))) return 2;
    }
    const prepared = prepare(path, io, values);
    if (typeof prepared === 'number') return prepared;
    // Handlers first: a SIGTERM during start-up (sv down, a widget) must still stop gracefully.
    let bot: RunningBot | null = null;
    let stopRequested: NodeJS.Signals | null = null;
    // A signal during start-up also ends any wait for Bybit (src/cli/patience.ts).
    const startAbort = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      if (bot) void bot.stop(signal);
      else {
        stopRequested = signal;
        startAbort.abort();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      try {
        bot = await startBot(prepared, io, startAbort.signal);
      } catch (e) {
        if (stopRequested !== null && !(e instanceof UserFacingError)) {
          io.stderr.write(`stopped by ${stopRequested} during start-up\n`);
          return 0;
        }
        if (e instanceof UserFacingError) {
          io.stderr.write(redact(e.message) + '\n');
          return e.exitCode;
        }
        // Waiting cannot fix these (a key, a permission, the configuration): exit 2, Bybit's words shown.
        if (e instanceof ExchangeError && e.kind === 'fatal') {
          io.stderr.write(redact(`the exchange refused: ${bybitSaid(e)}`) + '\n');
          return 2;
        }
        throw e;
      }
      if (stopRequested) void bot.stop(stopRequested);
      await bot.stopped;
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

function prepare(
  path: string,
  io: CommandIo,
  values: { override?: string; 'state-dir'?: string; paper?: boolean; replay?: string; speed?: string; set?: string[]; 'restore-backup'?: boolean },
): RunOptions | number {
  try {
    const replay = values.replay ? replayFiles(values.replay, io.cwd) : null;
    if (typeof replay === 'string') {
      io.stderr.write(replay + '\n');
      return 2;
    }
    let sets = values.set ?? [];
    const override = values.override !== undefined ? { override: resolve(io.cwd, values.override) } : {};
    let loaded = loadConfig({ path, env: io.env, sets, ...override });
    // A replay trades the symbols it has data for; the others are switched off for this run (and
    // stay off through hot reloads), and the bot says once which (connectMarket).
    const replaySkipped: string[] = [];
    if (replay) {
      const replayed = new Set(replay.map((f) => describeCandleFile(f).symbol));
      loaded.config.symbols.forEach((s, i) => {
        if (!s.enabled || replayed.has(s.symbol)) return;
        replaySkipped.push(s.symbol);
        sets = [...sets, `symbols.${i}.enabled=false`];
      });
      if (replaySkipped.length && loaded.config.symbols.every((s) => !s.enabled || replaySkipped.includes(s.symbol))) {
        io.stderr.write(`the replay has no data for ${replaySkipped.join(', ')}, the enabled symbols of ${path}: replay their candle files (--replay a.csv.gz,b.csv.gz)\n`);
        return 2;
      }
      if (replaySkipped.length) loaded = loadConfig({ path, env: io.env, sets, ...override });
    }
    const stateDir = values['state-dir'] ? resolve(io.cwd, values['state-dir']) : loaded.stateDir;
    const secrets = loadSecrets(stateDir, io.env);
    const paper = values.paper === true || loaded.config.mode === 'paper' || values.replay !== undefined;
    if (!paper && (!secrets.apiKey || !secrets.apiSecret)) {
      io.stderr.write(
        `mode "${loaded.config.mode}" needs an API key and secret: set BYBIT_API_KEY and BYBIT_API_SECRET, or run "node dist/bot.js init" to store them in ${stateDir}/secrets.json (mode 0600).\n`,
      );
      return 2;
    }
    return {
      loaded,
      secrets,
      stateDir,
      paper,
      replay: replay ? replay.join(',') : null,
      ...(replaySkipped.length ? { replaySkipped } : {}),
      speed: values.speed === undefined ? 1 : Number(values.speed),
      restoreBackup: values['restore-backup'] === true,
      sets,
    };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SecretsError) {
      io.stderr.write(e.message + '\n');
      return 2;
    }
    throw e;
  }
}

/** The candle files of `--replay a.csv.gz,b.csv.gz`, resolved; or what is wrong with them. */
function replayFiles(list: string, cwd: string): string[] | string {
  const files = list.split(',').filter((f) => f.trim() !== '').map((f) => resolve(cwd, f.trim()));
  if (files.length === 0) return '--replay expects a candle file, e.g. --replay data/bybit-BTCUSDT-1m.csv.gz';
  for (const f of files) {
    if (!existsSync(f)) return `--replay: no such file ${f}`;
    if (!describeCandleFile(f).symbol) return `--replay: cannot tell the symbol from the file name ${f} (expected e.g. bybit-BTCUSDT-1m.csv.gz)`;
  }
  return files;
}
