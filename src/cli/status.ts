/**
 * `node dist/bot.js status [--json] [--state-dir DIR]` (DESIGN section 4, issue 6 part 5): what the
 * bot believes, read from the state directory without taking its lock (a running bot keeps it):
 * mode, clock trust, per symbol position, entry and open orders, protections in force, today's PnL
 * against the daily limit, and statistics derived from the journal. Text fits a ~50-column phone
 * terminal and goes to stderr; `--json` prints one JSON document on stdout (money as plain numbers
 * rounded to 1e-8, like the backtest JSON).
 *
 * Unrealised PnL needs the exchange's mark price: `createStatusCommand({ unrealisedPnl })` takes it as
 * an input. Without one (the plain `statusCommand`) it is reported as unknown, never estimated.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dec } from '../domain/money.js';
import { StateFileError } from '../state/stateErrors.js';
import type { DeepReadonly, PositionState } from '../domain/persistedState.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { fetchMarkPrice } from '../exchange/bybit/markPrice.js';
import { buildStatusReport, type StatusInputs, type StatusReport } from './buildStatusReport.js';
import type { Command, CommandIo } from './command.js';
import { exchangeBaseUrl } from './doctorChecks.js';
import { MIRROR_DIR } from './mirrorAccount.js';
import { defaultConfigPath } from './paths.js';
import { renderStatusText } from './renderStatusText.js';
import { statusJson } from './statusJson.js';

const USAGE = `Usage: node dist/bot.js status [--json] [--state-dir DIR] [--config PATH] [--offline]

Shows what the bot believes: mode, clock trust, positions, open orders,
protections in force, today's PnL and statistics from the trade journal.
Reads the state directory without disturbing a running bot.

Options:
  --state-dir DIR   state directory (default: stateDir from the config, else ./state)
  --config PATH     config.json to read the state directory, daily loss limit and exchange from
                    (default ./config.json when it exists)
  --offline         do not ask the exchange for mark prices (unrealised PnL shows as unknown)
  --json            one JSON document on stdout
  -h, --help        this text

Exit status: 0 shown, 1 the state file is damaged, 2 usage error.
`;

export function createStatusCommand(inputs: StatusInputs = {}): Command {
  return {
    name: 'status',
    summary: 'positions, orders, protections, PnL and statistics',
    usage: USAGE,
    async run(argv: readonly string[], io: CommandIo): Promise<number> {
      const { values } = parseArgs({
        args: [...argv],
        options: {
          json: { type: 'boolean', default: false },
          'state-dir': { type: 'string' },
          config: { type: 'string' },
          offline: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
        strict: true,
        allowPositionals: false,
      });
      if (values.help) {
        io.stderr.write(USAGE);
        return 0;
      }
      // With a config.json (the default one, or --config): its state directory, daily limit and
      // exchange, which gives unrealised PnL from Bybit's public mark price unless --offline.
      const configPath = defaultConfigPath(io, values.config);
      let withConfig: StatusInputs = inputs;
      let stateDir = resolve(io.cwd, values['state-dir'] ?? 'state');
      if (values.config !== undefined || existsSync(configPath)) {
        let loaded: LoadedConfig;
        try {
          loaded = loadConfig({ path: configPath, env: io.env });
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          io.stderr.write(e.message + '\n');
          return 2;
        }
        if (values['state-dir'] === undefined) stateDir = loaded.stateDir;
        const base = exchangeBaseUrl(loaded.config);
        withConfig = {
          maxDailyLossPct: loaded.config.risk.maxDailyLossPct,
          ...(values.offline ? {} : { unrealisedPnl: (symbol, position) => unrealisedFromMark(base, symbol, position) }),
          ...inputs,
        };
      }
      let report: StatusReport;
      // Issue 24: a mirror account keeps its own state inside; both accounts are shown, each named.
      const mirrorDir = join(stateDir, MIRROR_DIR);
      let mirror: StatusReport | null = null;
      try {
        report = await buildStatusReport(stateDir, withConfig);
        if (existsSync(mirrorDir)) mirror = await buildStatusReport(mirrorDir, withConfig);
      } catch (err) {
        if (!(err instanceof StateFileError)) throw err;
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ stateDir, error: { name: err.name, problem: err.problem, file: err.file, message: err.message, newestBackup: err.newestBackup } })}\n`);
        } else io.stderr.write(`${err.message}\n`);
        return err.exitCode;
      }
      if (mirror === null) {
        if (values.json) io.stdout.write(`${JSON.stringify(statusJson(report))}\n`);
        else io.stderr.write(renderStatusText(report));
      } else if (values.json) {
        io.stdout.write(`${JSON.stringify({ account: 'MAIN', ...(statusJson(report) as object), mirror: { account: 'MIRROR', ...(statusJson(mirror) as object) } })}\n`);
      } else io.stderr.write(`MAIN account\n${renderStatusText(report)}\nMIRROR account\n${renderStatusText(mirror)}`);
      return 0;
    },
  };
}

export const statusCommand: Command = createStatusCommand();

/** (mark − entry) × size for a long, the reverse for a short; null when the exchange cannot be asked. */
async function unrealisedFromMark(baseUrl: string, symbol: string, position: DeepReadonly<PositionState>): Promise<Dec | null> {
  try {
    const mark = await fetchMarkPrice(baseUrl, symbol);
    const diff = mark.minus(position.entryPrice);
    return (position.side === 'long' ? diff : diff.neg()).mul(position.size);
  } catch {
    return null;
  }
}
