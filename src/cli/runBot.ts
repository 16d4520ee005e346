/**
 * The running bot: wires the concrete parts around the engine (issue 7 item 7) for live trading,
 * paper trading and `--replay`. Order of start-up: state (lock) → journal → alerts → clock trusted →
 * exchange → engine (instruments, reconcile, warm-up, streams) → control inbox, schedules, hot
 * reload, battery. SIGINT/SIGTERM shut down within a deadline: the maker's quotes are cancelled,
 * protective orders stay, state is flushed, sockets closed.
 */
import { resolve } from 'node:path';
import { BatteryMonitor, isTermux } from '../alerts/BatteryMonitor.js';
import { isAlertKind } from '../alerts/Alert.js';
import type { ClockMeasurement } from '../clock/clockMeasurement.js';
import type { ClockService } from '../clock/clockService.js';
import { ConfigWatcher } from '../config/watch.js';
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import { toJsonValue, type DeepReadonly, type PositionState } from '../domain/persistedState.js';
import { dec } from '../domain/money.js';
import { humanText } from '../alerts/humanText.js';
import { Engine } from '../engine/engine.js';
import type { EngineAlert } from '../engine/ports.js';
import { ControlInbox } from '../state/control.js';
import { Journal, readJournal } from '../state/journal.js';
import { computeStatistics } from '../state/statistics.js';
import { StateFileError } from '../state/stateErrors.js';
import { StateStore } from '../state/stateStore.js';
import { startOfDayMs } from '../engine/protections.js';
import { createLogger, type Logger } from '../util/logger.js';
import { redact } from '../util/redact.js';
import type { ScheduledJob } from '../util/cronScheduler.js';
import { apiKeyChecks } from './doctorKey.js';
import { buildAlerts } from './buildAlerts.js';
import { connectMarket } from './connectMarket.js';
import { UserFacingError } from '../util/errors.js';
import type { CommandIo } from './command.js';
import type { RunOptions } from './runOptions.js';
import { startSchedules } from './schedules.js';
import { engineSettingsFrom, strategiesFrom, strategyFor } from './wiring.js';
import { waitForWritableStateDir, watchStorage, type StorageWatch } from './watchStorage.js';

const SHUTDOWN_DEADLINE_MS = 10_000;
const RECONCILE_EVERY_MS = 60_000;
const LOCK_CHECK_MS = 1000;

/** What a running bot holds; `stop()` shuts it down gracefully (also what SIGTERM does). */
export interface RunningBot {
  readonly engine: Engine;
  readonly stateDir: string;
  stop(why: string): Promise<void>;
  /** Resolves when the bot has stopped. */
  readonly stopped: Promise<void>;
}

export async function startBot(opts: RunOptions, io: CommandIo): Promise<RunningBot> {
  const config = opts.loaded.config;
  const mode = opts.replay ? 'replay' : opts.paper ? 'paper' : config.mode;
  const logger = createLogger({
    level: config.log.level,
    stream: io.stderr,
    env: io.env,
    file: { path: resolve(opts.stateDir, 'bot.log'), maxBytes: config.log.maxBytes, keep: config.log.keep },
  });
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        logger.warn('cleanup step failed', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  try {
    const alerts = buildAlerts(config, opts, logger);
    cleanups.push(() => alerts.router.close());
    // Issue 22: a read-only state directory is refused, a full one waited for, before anything is sent.
    await waitForWritableStateDir(opts.stateDir, logger, (a) => alerts.router.send({ ...a, kind: 'error', ts: Date.now() }));
    let storage: StorageWatch | null = null;
    const onStorageError = (e: NodeJS.ErrnoException): void => void storage?.report(e);
    let store: StateStore;
    try {
      store = await StateStore.open(opts.stateDir, { restoreBackup: opts.restoreBackup, onStorageError, onWriteError: (e) => logger.warn('state write failed', { error: e instanceof Error ? e.message : String(e) }) });
    } catch (e) {
      // A damaged state file is never replaced: refuse to trade, and make sure the owner hears of it.
      if (e instanceof StateFileError) {
        alerts.router.send({ level: 'critical', kind: 'error', title: 'Not trading: state file damaged', body: e.message, ts: Date.now() });
        await alerts.router.drain();
      }
      throw e;
    }
    cleanups.push(() => store.close());
    const journal = new Journal(opts.stateDir, { onStorageError });
    // After the journal's close (its last try): records still held are printed, not lost silently.
    cleanups.push(() => storage?.stop(journal.heldLines));
    cleanups.push(() => journal.close());
    // Set once the engine exists: the ongoing status notification follows trades and controls.
    let refreshStatusSoon = (): void => {};
    // Set once the engine exists: a new entry lock comes with an alert, and is reported at once.
    let checkLocks = (): void => {};
    const send = (a: EngineAlert): void => {
      checkLocks();
      // A trade notifies twice (opened, closed); a target filled or a stop moved to breakeven
      // updates the ongoing status notification instead (statusSnapshot shows the progress).
      if (a.kind !== 'takeProfit' && a.kind !== 'breakeven') alerts.router.send({ ...a, kind: isAlertKind(a.kind) ? a.kind : 'error', ts: Date.now() });
      if (a.level === 'trade' || a.kind === 'control' || a.kind === 'killSwitch') refreshStatusSoon();
      journal
        .append({ type: 'alert', ts: Date.now(), level: a.level, kind: a.kind, title: redact(a.title), body: redact(a.body), ...(a.symbol ? { symbol: a.symbol } : {}) })
        .catch(() => logger.warn('journal: alert not recorded'));
    };
    storage = watchStorage({
      stateDir: opts.stateDir,
      logger,
      send,
      terminal: (text) => io.stderr.write(`${text}\n`),
      // The journal first: its held fills are written, in order, before the state that follows them.
      recover: async () => {
        const late = await journal.retry();
        await store.retry();
        return late;
      },
    });
    for (const repair of journal.repairs) send({ level: 'warning', kind: 'error', title: 'Journal repaired', body: `${repair.file} line ${repair.line}: a torn last line (${repair.bytes} bytes) from a kill was cut off and kept in ${repair.keptIn}` });
    store.update((d) => {
      d.mode = mode;
    });

    // The exchange side, per mode.
    const market = await connectMarket(config, opts, mode, logger);
    cleanups.push(() => market.close());
    const clock = market.clock;
    // Declared before the clock's listeners: the first measurement already reports a trust change.
    let engine: Engine | null = null;
    // What `status` shows: the latest attempt with the verdict and its reasons, kept current on every change of trust.
    const recordClock = (m: ClockMeasurement | null): void => {
      if (m === null) return;
      const s = clock.status();
      store.update((d) => {
        d.lastClock = toJsonValue({ ...m, trusted: s.trusted, reasons: s.reasons.map((r) => r.message) });
      });
    };
    // Trusted at the first measurement is the normal start, not news; "again" follows a distrust.
    let distrusted = false;
    // Said once per change of trust (ClockService calls this once per flip, not per measurement).
    clock.onTrustChange((s) => {
      recordClock(s.lastAttempt);
      const reasons = s.reasons.map((r) => r.message).join('; ');
      if (s.trusted) logger.info('clock trusted', { offsetMs: Math.round(clock.offsetMs) });
      else logger.warn('clock not trusted: not signing', { reasons });
      engine?.setBlock('clock', s.trusted ? null : reasons);
      if (s.trusted && !distrusted) return;
      distrusted = !s.trusted;
      send(
        s.trusted
          ? { level: 'info', kind: 'clockTrusted', title: 'Clock trusted again', body: `offset ${clock.offsetMs.toFixed(0)} ms` }
          : { level: 'critical', kind: 'clockDistrust', title: 'Clock not trusted: not signing', body: s.reasons.map((r) => r.message).join('\n') },
      );
    });
    clock.onMeasurement((m) => recordClock(m));
    if (market.needsTrustedClock) {
      const status = await clock.start();
      cleanups.push(() => clock.stop());
      if (!status.trusted) logger.warn('waiting for a trusted clock before trading (re-measuring by itself; stop with SIGTERM)');
      await waitForTrust(clock);
    }
    if (market.keyCheck) {
      // The bot never needs to withdraw: a key that can is refused before anything trades (as doctor does).
      const checks = await apiKeyChecks({ ...market.keyCheck, timestampMs: clock.now() });
      const failed = checks.filter((c) => c.status === 'fail');
      for (const c of checks.filter((x) => x.status === 'warn')) logger.warn(c.message, { fix: c.fix ?? '' });
      if (failed.length) {
        const text = failed.map((c) => `${c.message}${c.fix ? ` Fix: ${c.fix}` : ''}`).join('\n');
        send({ level: 'critical', kind: 'error', title: 'Not trading: API key refused', body: text });
        throw new UserFacingError(`not trading with this API key:\n${text}`, 1);
      }
    }

    let strategies = strategiesFrom(config);
    const engineJournal = {
      append: (r: JournalRecord) => journal.append(r),
      // This month's and last month's fills: enough to resume any open trade after a crash.
      readFills: async () => (await readJournal(opts.stateDir, { fromMs: Date.now() - 62 * 86_400_000 })).records.filter((r): r is FillRecord => r.type === 'fill'),
    };
    engine = new Engine(
      { port: market.port, store, journal: engineJournal, alerts: { send }, logger: logger.child('engine'), now: market.now, strategies },
      engineSettingsFrom(config),
    );
    const blockingEngine = engine;
    storage.attach((reason) => blockingEngine.setBlock('storage', reason));
    await engine.start();
    cleanups.push(() => engine!.stop());
    const liveEngine = engine;

    // The account's fee rates, once a day (the engine read them at start; the last known stay on failure).
    const feeTimer = setInterval(() => void liveEngine.refreshFees(), 86_400_000);
    cleanups.push(() => clearInterval(feeTimer));

    const reconcileTimer = setInterval(() => {
      liveEngine.reconcile('periodic').catch((e: unknown) => logger.warn('periodic reconciliation failed', { error: e instanceof Error ? e.message : String(e) }));
    }, RECONCILE_EVERY_MS);
    cleanups.push(() => clearInterval(reconcileTimer));

    const statusSnapshot = () => {
      const snap = liveEngine.snapshot();
      return {
        mode,
        paused: snap.locks.length > 0,
        ...(snap.locks[0] ? { pausedReason: `${snap.locks[0].name}: ${snap.locks[0].reason}` } : {}),
        pnlToday: snap.realisedPnlToday,
        openPositions: snap.positions.map((p) => ({ symbol: p.symbol, side: p.side, detail: positionProgress(store.state.symbols[p.symbol]?.position ?? null) })),
        clockTrusted: clock.isTrusted(),
        clockOffsetMs: clock.offsetMs,
      };
    };
    const refreshStatus = (): void => {
      void alerts.router.updateStatus(statusSnapshot());
    };
    refreshStatus();
    let refreshTimer: NodeJS.Timeout | null = null;
    refreshStatusSoon = () => {
      // Several events in a burst (a fill, its ladder, a stop move) make one update.
      refreshTimer ??= setTimeout(() => {
        refreshTimer = null;
        refreshStatus();
      }, 500);
    };
    cleanups.push(() => {
      if (refreshTimer) clearTimeout(refreshTimer);
    });

    const inbox = new ControlInbox(
      opts.stateDir,
      async (req) => {
        logger.info(`control: "${req.command}" received`, { reason: req.reason });
        if (req.command === 'pause') liveEngine.pause(req.reason);
        else if (req.command === 'resume') {
          const answer = liveEngine.resume({ resetPeak: req.resetPeak ?? false });
          refreshStatus();
          logger.info(`control: ${answer}`);
          return answer;
        } else await liveEngine.closeAll(req.reason);
        refreshStatus();
        const done = req.command === 'close-all' ? 'orders cancelled, positions closing at market, new entries paused' : 'paused: no new entries, open positions stay managed';
        logger.info(`control: ${done}`);
        return req.command === 'close-all' ? done : `${req.command}d`;
      },
      { onError: (m) => logger.warn(m) },
    ).start();
    cleanups.push(() => inbox.stop());

    const jobs: ScheduledJob[] = startSchedules(
      config,
      {
        dailySummary: async () => {
          const day = startOfDayMs(Date.now(), config.schedules.timeZone);
          const { records } = await readJournal(opts.stateDir, { fromMs: day });
          const st = computeStatistics(records);
          send({
            level: 'info',
            kind: 'dailySummary',
            title: 'Daily summary',
            body: `${st.trades} trade(s), win rate ${st.winRatePct === null ? '-' : st.winRatePct.toFixed(0) + ' %'}, net PnL ${st.netPnl.toFixed(2)} USDT, fees ${st.fees.toFixed(2)}, max drawdown ${st.maxDrawdown.toFixed(2)} USDT`,
          });
        },
        dayBoundary: () => refreshStatus(),
        instrumentRefresh: async () => {
          await market.port.loadInstruments(config.symbols.filter((s) => s.enabled).map((s) => s.symbol));
        },
        backup: async () => {
          await store.backupNow();
        },
        statusRefresh: () => refreshStatus(),
      },
      logger.child('schedules'),
    );
    cleanups.push(() => jobs.forEach((j) => j.stop()));

    // What the last applied edit said, for telling which strategies changed at the next one.
    let running = config;
    const watcher = new ConfigWatcher({
      current: opts.loaded,
      env: io.env,
      sets: opts.sets,
      onChange: ({ next, restartRequired }) => {
        const changed = new Map(strategies);
        for (const s of next.config.symbols) {
          const before = running.symbols.find((x) => x.symbol === s.symbol);
          if (before && JSON.stringify(before.params) !== JSON.stringify(s.params)) changed.set(s.symbol, strategyFor(s));
        }
        strategies = changed;
        running = next.config;
        liveEngine.updateSettings(engineSettingsFrom(next.config), changed);
        if (!restartRequired.length) logger.info('config.json reloaded and applied');
        else logger.warn(`config.json reloaded; applied except what needs a restart: ${restartRequired.join(', ')}`);
        const toMainnet = next.config.mode === 'mainnet' && mode !== 'mainnet';
        if (toMainnet) {
          logger.warn('config.json now says mode "mainnet": the next restart trades REAL MONEY');
          send({ level: 'critical', kind: 'control', title: 'Next restart trades real money', body: 'config.json was saved with mode "mainnet". This run goes on as it started; at the next restart the bot trades real money on Bybit.' });
        } else if (restartRequired.length) send({ level: 'warning', kind: 'control', title: 'Config saved', body: `Applied, except (restart needed): ${restartRequired.join(', ')}` });
      },
      onInvalid: (error) => {
        logger.error('config.json edit rejected; still running on the previous settings', { problems: error.problems.length });
        io.stderr.write(error.message + '\n');
        send({ level: 'warning', kind: 'error', title: 'config.json edit rejected', body: error.problems.map((p) => `${p.path}: ${p.message}`).join('\n') });
      },
    }).start();
    cleanups.push(() => watcher.close());

    if (config.battery.enabled && isTermux(io.env)) {
      const battery = new BatteryMonitor({
        policy: { minPercent: config.battery.minPercent, maxTemperatureC: config.battery.maxTemperatureC },
        intervalMs: config.battery.pollSeconds * 1000,
        onChange: (decision) => liveEngine.setBlock('battery', decision.paused ? decision.reason : null),
        alert: (a) => alerts.router.send(a),
        onError: (m) => logger.warn(m),
      });
      battery.start();
      cleanups.push(() => battery.stop());
    }

    let resolveStopped: () => void = () => {};
    const stopped = new Promise<void>((r) => (resolveStopped = r));
    let stopping: Promise<void> | null = null;
    const stop = (why: string): Promise<void> => {
      stopping ??= (async () => {
        logger.info('shutting down', { why });
        const deadline = new Promise<void>((r) => setTimeout(r, SHUTDOWN_DEADLINE_MS).unref());
        await Promise.race([cleanup(), deadline]);
        resolveStopped();
      })();
      return stopping;
    };
    const paused = store.state.protections.paused;
    if (paused) logger.warn(`paused since ${new Date(paused.sinceMs).toISOString()}, by the pause command (${paused.reason}): no new entries until "node dist/bot.js resume"`);
    const locks = watchLocks(liveEngine, logger);
    checkLocks = locks.check;
    cleanups.push(locks.stop);
    logger.info('running', { mode, symbols: config.symbols.filter((s) => s.enabled).map((s) => `${s.symbol}:${s.strategy}`).join(','), stateDir: opts.stateDir });
    return { engine: liveEngine, stateDir: opts.stateDir, stop, stopped };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** A trade's progress for the ongoing notification: targets filled and where the stop is. */
function positionProgress(pos: DeepReadonly<PositionState> | null): string | undefined {
  if (!pos) return undefined;
  const parts: string[] = [];
  if (pos.targets.length) parts.push(`${pos.targets.filter((t) => t.filled).length}/${pos.targets.length} targets`);
  if (pos.stop) {
    const be = pos.side === 'long' ? dec(pos.stop.price).gte(pos.entryPrice) : dec(pos.stop.price).lte(pos.entryPrice);
    parts.push(`stop ${pos.stop.price}${be ? ' (breakeven)' : ''}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * Says once when an entry lock (daily loss, drawdown, loss streak, pause, kill switch) starts and
 * once when it ends (a pause is reported by its command); the signals it refuses go to the debug log.
 */
function watchLocks(engine: Engine, logger: Logger): { check(): void; stop(): void } {
  let active = new Map<string, string>();
  const check = (): void => {
    // A pause is the owner's own act: its control command and the start-up line report it.
    const now = new Map(engine.snapshot().locks.filter((l) => l.name !== 'paused').map((l) => [l.name as string, l.reason]));
    for (const [name, reason] of now) {
      if (!active.has(name)) logger.warn(`entries stopped (${humanText(name)}): ${reason}`);
    }
    for (const name of active.keys()) if (!now.has(name)) logger.info(`entries allowed again: the ${humanText(name)} lock has ended`);
    active = now;
  };
  check();
  const timer = setInterval(check, LOCK_CHECK_MS);
  return { check, stop: () => clearInterval(timer) };
}

/**
 * Waits, without exiting, until the clock is trusted: the clock re-measures by itself meanwhile
 * (ClockService backs off up to a minute) and the owner heard why once, through the clockDistrust
 * alert. SIGINT/SIGTERM during the wait end start-up cleanly (exit 0): run.ts holds those signals
 * until startBot returns, which it would not do while the sources disagree.
 */
async function waitForTrust(clock: ClockService): Promise<void> {
  if (clock.isTrusted()) return;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  let offTrust: () => void = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      offTrust = clock.onTrustChange((s) => {
        if (s.trusted) resolve();
      });
      onSignal = (signal) => reject(new UserFacingError(`stopped (${signal}) while waiting for a trusted clock; nothing was signed`, 0));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
  } finally {
    offTrust();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
