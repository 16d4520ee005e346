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
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Dec, reportNumber } from '../domain/money.js';
import { readJournal } from '../state/journal.js';
import type { JournalProblem } from '../state/journal.js';
import { StateFileError } from '../state/stateErrors.js';
import { readStateFile } from '../state/stateFile.js';
import { isAlive, readLockOwner } from '../state/stateLock.js';
import { PROTECTION_NAMES } from '../domain/persistedState.js';
import type { DeepReadonly, JsonValue, PersistedState, PositionState, ProtectionName } from '../domain/persistedState.js';
import { computeStatistics } from '../state/statistics.js';
import type { TradeStatistics } from '../state/statistics.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { fetchMarkPrice } from '../exchange/bybit/markPrice.js';
import type { Command, CommandIo } from './command.js';
import { exchangeBaseUrl } from './doctorChecks.js';
import { defaultConfigPath } from './paths.js';

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

/** Inputs only a wired-up bot has (the lead connects config and exchange). */
export interface StatusInputs {
  readonly nowMs?: () => number;
  /**
   * Unrealised PnL of an open position, from the exchange (mark price). Omitted, or returning null:
   * shown as unknown. Never estimated from stale data.
   */
  readonly unrealisedPnl?: (symbol: string, position: DeepReadonly<PositionState>) => Promise<Dec | null>;
  /** `risk.maxDailyLossPct` from the config: the limit is this share of the equity at day start. */
  readonly maxDailyLossPct?: number;
  /** Starting equity for statistics when the journal has no `equity` record. */
  readonly startingEquity?: Dec;
}

export interface StatusPosition {
  readonly side: 'long' | 'short';
  readonly size: Dec;
  readonly entryPrice: Dec;
  readonly openedMs: number;
  readonly stopPrice: Dec | null;
  readonly targetsFilled: number;
  readonly targets: number;
  readonly unrealisedPnl: Dec | null;
}

export interface StatusOrder {
  readonly orderLinkId: string;
  readonly orderId: string | null;
  readonly purpose: string;
  readonly side: string;
  readonly type: string;
  readonly status: string;
  readonly price: Dec | null;
  readonly qty: Dec;
  readonly filledQty: Dec;
}

export interface StatusSymbol {
  readonly symbol: string;
  readonly position: StatusPosition | null;
  readonly openOrders: readonly StatusOrder[];
  readonly cooldownUntilMs: number | null;
}

export interface StatusProtection {
  readonly name: ProtectionName;
  readonly reason: string;
  readonly sinceMs: number;
  readonly untilMs: number | null;
}

export interface StatusClock {
  /** From a `trusted` field of the stored record; null when it does not say. */
  readonly trusted: boolean | null;
  /** From an `ok` field (the measurement succeeded); null when absent. */
  readonly measured: boolean | null;
  readonly offsetMs: number | null;
  readonly measuredAtMs: number | null;
}

export interface StatusToday {
  readonly dayStartMs: number;
  readonly realisedPnl: Dec;
  /** The window started more than 24 h ago: the bot has not rolled it over (not running). */
  readonly stale: boolean;
  /** Negative amount (e.g. -30), or null when the limit or the day's equity is unknown. */
  readonly lossLimit: Dec | null;
  /** Share of the limit used by today's loss, percent; null when unknown or not a loss. */
  readonly limitUsedPct: number | null;
}

export interface StatusReport {
  readonly stateDir: string;
  readonly nowMs: number;
  /** False for a directory where no bot has run yet. */
  readonly hasState: boolean;
  readonly running: { readonly pid: number; readonly startedMs: number } | null;
  readonly mode: string | null;
  readonly updatedMs: number | null;
  readonly clock: StatusClock | null;
  readonly symbols: readonly StatusSymbol[];
  readonly protections: readonly StatusProtection[];
  readonly today: StatusToday | null;
  readonly statistics: TradeStatistics;
  readonly journalProblems: readonly JournalProblem[];
}

/** Gathers the report. Throws `StateFileError` for a damaged state file. */
export async function buildStatusReport(stateDir: string, inputs: StatusInputs = {}): Promise<StatusReport> {
  const nowMs = (inputs.nowMs ?? Date.now)();
  const loaded = await readStateFile(stateDir);
  const journal = await readJournal(stateDir);
  const statistics = computeStatistics(journal.records, inputs.startingEquity === undefined ? {} : { startingEquity: inputs.startingEquity });
  const owner = readLockOwner(stateDir);
  const running = owner !== null && isAlive(owner) ? { pid: owner.pid, startedMs: owner.startedMs } : null;
  if (loaded === null) {
    return { stateDir, nowMs, hasState: false, running, mode: null, updatedMs: null, clock: null, symbols: [], protections: [], today: null, statistics, journalProblems: journal.problems };
  }
  const state: DeepReadonly<PersistedState> = loaded.state;
  const symbols: StatusSymbol[] = [];
  for (const [symbol, s] of Object.entries(state.symbols).sort(([a], [b]) => a.localeCompare(b))) {
    const p = s.position;
    const position: StatusPosition | null =
      p === null
        ? null
        : {
            side: p.side,
            size: new Dec(p.size),
            entryPrice: new Dec(p.entryPrice),
            openedMs: p.openedMs,
            stopPrice: p.stop === null ? null : new Dec(p.stop.price),
            targetsFilled: p.targets.filter((t) => t.filled).length,
            targets: p.targets.length,
            unrealisedPnl: inputs.unrealisedPnl === undefined ? null : await inputs.unrealisedPnl(symbol, p),
          };
    const openOrders = Object.values(s.openOrders)
      .map((o) => ({
        orderLinkId: o.orderLinkId,
        orderId: o.orderId,
        purpose: o.purpose,
        side: o.side,
        type: o.type,
        status: o.status,
        price: o.price === null ? null : new Dec(o.price),
        qty: new Dec(o.qty),
        filledQty: new Dec(o.filledQty),
      }))
      .sort((a, b) => a.orderLinkId.localeCompare(b.orderLinkId));
    const cooldownUntilMs = s.cooldownUntilMs !== null && s.cooldownUntilMs > nowMs ? s.cooldownUntilMs : null;
    if (position === null && openOrders.length === 0 && cooldownUntilMs === null) continue;
    symbols.push({ symbol, position, openOrders, cooldownUntilMs });
  }
  const protections: StatusProtection[] = [];
  for (const name of PROTECTION_NAMES) {
    const lock = state.protections[name];
    if (lock !== null && (lock.untilMs === null || lock.untilMs > nowMs)) protections.push({ name, reason: lock.reason, sinceMs: lock.sinceMs, untilMs: lock.untilMs });
  }
  let today: StatusToday | null = null;
  if (state.daily !== null) {
    const realisedPnl = new Dec(state.daily.realisedPnl);
    const equity = state.daily.equityAtDayStart === null ? null : new Dec(state.daily.equityAtDayStart);
    const lossLimit = inputs.maxDailyLossPct === undefined || equity === null ? null : equity.mul(inputs.maxDailyLossPct).div(100).neg();
    const limitUsedPct = lossLimit === null || lossLimit.isZero() || realisedPnl.gte(0) ? null : realisedPnl.div(lossLimit).mul(100).toNumber();
    today = { dayStartMs: state.daily.dayStartMs, realisedPnl, stale: nowMs - state.daily.dayStartMs >= 86_400_000, lossLimit, limitUsedPct };
  }
  return {
    stateDir,
    nowMs,
    hasState: true,
    running,
    mode: state.mode,
    updatedMs: state.updatedMs,
    clock: readClock(state.lastClock),
    symbols,
    protections,
    today,
    statistics,
    journalProblems: journal.problems,
  };
}

/**
 * The clock record is whatever the clock layer stored (src/clock `ClockMeasurement`, possibly with
 * a `trusted` verdict added); only these well-known fields are read, nothing is assumed.
 */
function readClock(record: DeepReadonly<JsonValue>): StatusClock | null {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return null;
  const r = record as { readonly [key: string]: DeepReadonly<JsonValue> };
  const bool = (k: string): boolean | null => (typeof r[k] === 'boolean' ? (r[k] as boolean) : null);
  const num = (k: string): number | null => (typeof r[k] === 'number' ? (r[k] as number) : null);
  return { trusted: bool('trusted'), measured: bool('ok'), offsetMs: num('offsetMs'), measuredAtMs: num('measuredAtMs') };
}

const num = (d: Dec | null): number | null => (d === null ? null : reportNumber(d));

/** The `--json` document. */
export function statusJson(r: StatusReport): unknown {
  const s = r.statistics;
  return {
    stateDir: r.stateDir,
    nowMs: r.nowMs,
    hasState: r.hasState,
    running: r.running,
    mode: r.mode,
    updatedMs: r.updatedMs,
    clock: r.clock,
    symbols: r.symbols.map((x) => ({
      symbol: x.symbol,
      position:
        x.position === null
          ? null
          : {
              side: x.position.side,
              size: num(x.position.size),
              entryPrice: num(x.position.entryPrice),
              openedMs: x.position.openedMs,
              stopPrice: num(x.position.stopPrice),
              targetsFilled: x.position.targetsFilled,
              targets: x.position.targets,
              unrealisedPnl: num(x.position.unrealisedPnl),
            },
      openOrders: x.openOrders.map((o) => ({ ...o, price: num(o.price), qty: num(o.qty), filledQty: num(o.filledQty) })),
      cooldownUntilMs: x.cooldownUntilMs,
    })),
    protections: r.protections,
    today: r.today === null ? null : { dayStartMs: r.today.dayStartMs, realisedPnl: num(r.today.realisedPnl), stale: r.today.stale, lossLimit: num(r.today.lossLimit), limitUsedPct: r.today.limitUsedPct },
    statistics: {
      trades: s.trades,
      wins: s.wins,
      losses: s.losses,
      breakeven: s.breakeven,
      winRatePct: s.winRatePct,
      longestWinStreak: s.longestWinStreak,
      longestLossStreak: s.longestLossStreak,
      bestPnl: num(s.bestPnl),
      worstPnl: num(s.worstPnl),
      fees: num(s.fees),
      netPnl: num(s.netPnl),
      startingEquity: num(s.startingEquity),
      maxDrawdown: num(s.maxDrawdown),
      maxDrawdownPct: s.maxDrawdownPct,
      dailySharpe: s.dailySharpe,
      sharpeDays: s.sharpeDays,
    },
    journalProblems: r.journalProblems,
  };
}

const PROTECTION_LABELS: Record<ProtectionName, string> = {
  dailyLoss: 'daily loss',
  drawdown: 'drawdown',
  consecutiveLoss: 'loss streak',
  killSwitch: 'KILL SWITCH',
  paused: 'paused',
};

/** Human text, each line at most ~50 columns (long reasons wrap). */
export function renderStatusText(r: StatusReport): string {
  const out: string[] = [];
  const kv = (k: string, v: string): void => {
    out.push(...wrap(`${k.padEnd(9)}${v}`, 50, ' '.repeat(9)));
  };
  out.push(`pocket-scalper status`);
  kv('state', r.stateDir.length > 41 ? `…${r.stateDir.slice(-40)}` : r.stateDir);
  if (!r.hasState) {
    kv('', 'no state yet: the bot has not run here');
  } else {
    kv('mode', `${r.mode ?? 'unknown'}${r.updatedMs === null ? '' : `, saved ${ago(r.nowMs - r.updatedMs)}`}`);
  }
  kv('bot', r.running === null ? 'not running' : `running, PID ${r.running.pid}`);
  if (r.hasState) {
    const c = r.clock;
    if (c === null) kv('clock', 'no measurement recorded');
    else {
      const verdict = c.trusted === true ? 'trusted' : c.trusted === false ? 'NOT trusted' : c.measured === false ? 'not measured' : 'measured';
      const offset = c.offsetMs === null ? '' : `, ${c.offsetMs >= 0 ? '+' : ''}${c.offsetMs.toFixed(1)} ms`;
      const age = c.measuredAtMs === null ? '' : `, ${ago(r.nowMs - c.measuredAtMs)}`;
      kv('clock', `${verdict}${offset}${age}`);
    }
    if (r.protections.length === 0) kv('protect', 'none in force');
    for (const p of r.protections) {
      const until = p.untilMs === null ? '' : ` until ${shortTime(p.untilMs)}`;
      kv(p === r.protections[0] ? 'protect' : '', `${PROTECTION_LABELS[p.name]}${until}: ${p.reason}`);
    }
    if (r.symbols.length === 0) kv('position', 'flat, no open orders');
    for (const s of r.symbols) {
      out.push(`${s.symbol}`);
      const p = s.position;
      if (p === null) kv('  pos', 'flat');
      else {
        kv('  pos', `${p.side} ${p.size.toFixed()} @ ${p.entryPrice.toFixed()}`);
        const stop = p.stopPrice === null ? 'NO STOP' : `stop ${p.stopPrice.toFixed()}`;
        kv('', p.targets === 0 ? stop : `${stop}, TP ${p.targetsFilled}/${p.targets} hit`);
        kv('  uPnL', p.unrealisedPnl === null ? 'unknown (needs the exchange)' : signedMoney(p.unrealisedPnl));
      }
      kv('  orders', s.openOrders.length === 0 ? 'none' : `${s.openOrders.length} open`);
      for (const o of s.openOrders) {
        const price = o.price === null ? 'market' : `@ ${o.price.toFixed()}`;
        out.push(...wrap(`   ${o.purpose} ${o.side} ${o.qty.toFixed()} ${price} ${o.status}`, 50, '     '));
      }
      if (s.cooldownUntilMs !== null) kv('  cool', `until ${shortTime(s.cooldownUntilMs)}`);
    }
  }
  if (r.today !== null) {
    const t = r.today;
    const limit = t.lossLimit === null ? 'limit unknown' : `limit ${t.lossLimit.toFixed(2)}`;
    const used = t.limitUsedPct === null ? '' : ` (${t.limitUsedPct.toFixed(0)} % used)`;
    kv('today', t.stale ? `${signedMoney(t.realisedPnl)} on ${shortTime(t.dayStartMs)} (old)` : `${signedMoney(t.realisedPnl)}, ${limit}${used}`);
  }
  const s = r.statistics;
  if (s.trades === 0) kv('journal', 'no closed trades yet');
  else {
    kv('trades', `${s.trades}: ${s.wins} won, ${s.losses} lost${s.winRatePct === null ? '' : ` (${s.winRatePct.toFixed(1)} %)`}`);
    kv('net', `${signedMoney(s.netPnl)}, fees ${s.fees.toFixed(2)}`);
    kv('best', `${signedMoney(s.bestPnl ?? new Dec(0))}, worst ${signedMoney(s.worstPnl ?? new Dec(0))}`);
    kv('streaks', `${s.longestWinStreak} won, ${s.longestLossStreak} lost in a row`);
    kv('max DD', s.maxDrawdownPct === null ? `${s.maxDrawdown.toFixed(2)} (no start equity)` : `${s.maxDrawdownPct.toFixed(2)} %`);
    kv('Sharpe', s.dailySharpe === null ? 'n/a (needs 2+ days)' : `${s.dailySharpe.toFixed(2)} (daily, ${s.sharpeDays} d)`);
  }
  for (const p of r.journalProblems) {
    const where = `${p.file.split(/[\\/]/).at(-1) ?? p.file}:${p.line}`;
    kv('journal', p.kind === 'torn' ? `${where} torn last line skipped` : `${where} ${p.kind} error: ${p.detail}`);
  }
  return `${out.join('\n')}\n`;
}

function signedMoney(d: Dec): string {
  return `${d.gt(0) ? '+' : ''}${d.toFixed(2)}`;
}

function shortTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

function ago(ms: number): string {
  if (ms < 0) return 'in the future';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

/** Greedy word wrap; words longer than the width are cut. */
function wrap(text: string, width: number, indent: string): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (candidate.length <= width || line.trim() === '') {
      line = candidate;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.flatMap((l) => (l.length <= width ? [l] : chunk(l, width, indent)));
}

function chunk(text: string, width: number, indent: string): string[] {
  const out = [text.slice(0, width)];
  for (let i = width; i < text.length; i += width - indent.length) out.push(indent + text.slice(i, i + width - indent.length));
  return out;
}

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
      try {
        report = await buildStatusReport(stateDir, withConfig);
      } catch (err) {
        if (!(err instanceof StateFileError)) throw err;
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ stateDir, error: { name: err.name, problem: err.problem, file: err.file, message: err.message, newestBackup: err.newestBackup } })}\n`);
        } else io.stderr.write(`${err.message}\n`);
        return err.exitCode;
      }
      if (values.json) io.stdout.write(`${JSON.stringify(statusJson(report))}\n`);
      else io.stderr.write(renderStatusText(report));
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
