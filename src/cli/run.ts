/**
 * `run` (the default command): loads and checks everything a trading session needs. The first-run
 * wizard starts when config.json is missing and stdin is a terminal; without a terminal the bot
 * refuses with exit 2 and says what to do.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { loadSecrets, SecretsError } from '../config/secrets.js';
import type { Command, CommandIo } from './command.js';
import { runWizard } from './init.js';
import type { RunOptions } from './runOptions.js';
import { startBot, type RunningBot } from './runBot.js';
import { ExchangeError } from '../domain/exchangeErrors.js';
import { UserFacingError } from '../util/errors.js';
import { redact } from '../util/redact.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js [run] [options]

Trades per config.json. Without config.json, starts the setup wizard on a terminal.
  --config PATH        config file (default ./config.json, or $POCKET_CONFIG)
  --state-dir DIR      state directory (default: stateDir from the config)
  --paper              paper trading (simulated account, live public data) whatever the mode
  --replay FILE.csv    rehearse offline against the built-in exchange sandbox replaying FILE
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
          io.stderr.write(redact(`the exchange refused: ${e.retCode !== null ? `retCode ${e.retCode}: ${e.retMsg ?? e.message}` : e.message}`) + '\n');
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
  values: { 'state-dir'?: string; paper?: boolean; replay?: string; speed?: string; set?: string[]; 'restore-backup'?: boolean },
): RunOptions | number {
  try {
    const loaded = loadConfig({ path, env: io.env, sets: values.set ?? [] });
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
      replay: values.replay ? resolve(io.cwd, values.replay) : null,
      speed: values.speed === undefined ? 1 : Number(values.speed),
      restoreBackup: values['restore-backup'] === true,
      sets: values.set ?? [],
    };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof SecretsError) {
      io.stderr.write(e.message + '\n');
      return 2;
    }
    throw e;
  }
}
