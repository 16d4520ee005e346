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
import type { StatusSnapshot } from '../alerts/Alert.js';
import { ExchangeError } from '../domain/exchangeErrors.js';
import { ConfigWatcher } from '../config/watch.js';
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import { toJsonValue } from '../domain/persistedState.js';
import { Engine } from '../engine/engine.js';
import type { EngineAlert } from '../engine/ports.js';
import { ControlInbox } from '../state/control.js';
import { Journal, readJournal } from '../state/journal.js';
import { computeStatistics } from '../state/statistics.js';
import { StateFileError } from '../state/stateErrors.js';
import { StateStore } from '../state/stateStore.js';
import { startOfDayMs } from '../engine/protections.js';
import { createLogger } from '../util/logger.js';
import { positionProgress, watchLocks } from './watchLocks.js';
import { waitForTrust } from './waitForTrust.js';
import { redact } from '../util/redact.js';
import type { ScheduledJob } from '../util/cronScheduler.js';
import { KeyCheckUnavailable, readApiKeyChecks } from './doctorKey.js';
import { describeFailure, isTransient, Patience } from './patience.js';
import { patientPort } from './patientPort.js';
import { buildAlerts } from './buildAlerts.js';
import { connectMarket } from './connectMarket.js';
import { MirrorAccount } from './mirrorAccount.js';
import { UserFacingError } from '../util/errors.js';
import { collectStartUpGarbage } from '../util/startUpGarbage.js';
import type { CommandIo } from './command.js';
import type { RunOptions } from './runOptions.js';
import { startSchedules } from './schedules.js';
import { engineSettingsFrom, strategiesFrom, strategyFor } from './wiring.js';
import { waitForWritableStateDir, watchStorage, type StorageWatch } from './watchStorage.js';

const SHUTDOWN_DEADLINE_MS = 10_000;
const RECONCILE_EVERY_MS = 60_000;

/** What a running bot holds; `stop()` shuts it down gracefully (also what SIGTERM does). */
export interface RunningBot {
  readonly engine: Engine;
  readonly stateDir: string;
  stop(why: string): Promise<void>;
  /** Resolves when the bot has stopped. */
  readonly stopped: Promise<void>;
}

/**
 * Starts the bot; resolves once it is running. Transient failures are waited out (./patience.ts),
 * however long; `abort` (a signal during start-up) ends the wait and the start with the last failure.
 */
export async function startBot(opts: RunOptions, io: CommandIo, abort?: AbortSignal): Promise<RunningBot> {
  const config = opts.loaded.config;
  const mode = opts.replay ? 'replay' : opts.paper ? 'paper' : config.mode;
  const logger = createLogger({
    level: config.log.level,
    stream: io.stderr,
    env: io.env,
    file: { path: resolve(opts.stateDir, 'bot.log'), maxBytes: config.log.maxBytes, keep: config.log.keep },
    ...(MirrorAccount.configured(config, opts) ? { label: 'MAIN' } : {}),
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
  // Set once the alerts exist: the ongoing notification says what the bot waits for.
  let refreshStatus = (): void => {};
  const patience = new Patience(logger, () => refreshStatus());
  const stopWaiting = (): void => patience.stop();
  // Last line of defence: a transient failure some path forgot to wait for is logged, not fatal.
  const onUnhandled = (reason: unknown): void => {
    if (!isTransient(reason)) throw reason;
    logger.warn('a transient failure was not retried where it happened; still running', { error: describeFailure(reason) });
  };
  process.on('unhandledRejection', onUnhandled);
  cleanups.push(() => void process.off('unhandledRejection', onUnhandled));
  abort?.addEventListener('abort', stopWaiting, { once: true });
  if (abort?.aborted) patience.stop();
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
    // One month file for all records of a run, by market time: a replay's orders and fills of 2025-06
    // go to 2025-06 however they are stamped (issue 16 item 13). Live, market time is the clock's.
    let marketNowMs: (() => number) | undefined;
    const journal = new Journal(opts.stateDir, { onStorageError, monthClock: () => marketNowMs?.() ?? Date.now() });
    // After the journal's close (its last try): records still held are printed, not lost silently.
    cleanups.push(() => storage?.stop(journal.heldLines));
    cleanups.push(() => journal.close());
    // Set once the engine exists: the ongoing status notification follows trades and controls.
    let refreshStatusSoon = (): void => {};
    // Set once the engine exists: a new entry lock comes with an alert, and is reported at once.
    let checkLocks = (): void => {};
    // Issue 24: a second account copies this one's entries (./mirrorAccount.ts); alerts then name their account.
    const mirror = MirrorAccount.fromConfig(config, opts, io, (a) => send(a));
    const send = (given: EngineAlert): void => {
      const a = mirror ? MirrorAccount.label(given) : given;
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
    const market = await connectMarket(config, opts, mode, logger, patience, send);
    cleanups.push(() => market.close());
    marketNowMs = market.marketNowMs;
    const clock = market.clock;
    const port = patientPort(market.port, patience);
    // Declared before the clock's listeners: the first measurement already reports a trust change.
    let engine: Engine | null = null;
    const statusSnapshot = (): StatusSnapshot => {
      const snap = engine?.started ? engine.snapshot() : null;
      const waiting = patience.waiting;
      return {
        mode,
        paused: snap !== null && snap.locks.length > 0,
        ...(snap?.locks[0] ? { pausedReason: `${snap.locks[0].name}: ${snap.locks[0].reason}` } : {}),
        pnlToday: snap?.realisedPnlToday ?? '0',
        openPositions: snap?.positions.map((p) => ({ symbol: p.symbol, side: p.side, detail: positionProgress(store.state.symbols[p.symbol]?.position ?? null) })) ?? [],
        clockTrusted: clock.isTrusted(),
        clockOffsetMs: clock.offsetMs,
        ...(waiting ? { waitingFor: waiting.step, waitingError: waiting.error } : {}),
      };
    };
    refreshStatus = (): void => {
      void alerts.router.updateStatus({ ...statusSnapshot(), ...mirror?.statusPart() });
    };
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
      const keyCheck = market.keyCheck;
      // The bot never needs to withdraw: a key that can is refused before anything trades (as doctor does).
      const checks = await patience.run('API key check', async () => {
        try {
          return await readApiKeyChecks({ ...keyCheck, timestampMs: clock.now() });
        } catch (e) {
          // 10002: Bybit judged our timestamp outside recv_window; measure before the next try.
          if (e instanceof KeyCheckUnavailable && e.retCode === 10002) await clock.remeasureNow();
          throw e;
        }
      });
      const failed = checks.filter((c) => c.status === 'fail');
      for (const c of checks.filter((x) => x.status === 'warn')) logger.warn(c.message, { fix: c.fix ?? '' });
      if (failed.length) {
        const text = failed.map((c) => `${c.message}${c.fix ? ` Fix: ${c.fix}` : ''}`).join('\n');
        send({ level: 'critical', kind: 'error', title: 'Not trading: API key refused', body: text });
        throw new UserFacingError(`not trading with this API key:\n${text}`, 2);
      }
    }
    // An unknown symbol is a config error that no wait fixes: name the field (exit 2).
    for (const [i, s] of config.symbols.entries()) {
      if (!s.enabled) continue;
      try {
        await port.loadInstruments([s.symbol]);
      } catch (e) {
        if (e instanceof ExchangeError && e.kind === 'fatal' && /lists no linear instrument/.test(e.message)) throw new UserFacingError(`symbols[${i}].symbol: ${e.message}`, 2);
        throw e;
      }
    }

    let strategies = strategiesFrom(config);
    const engineJournal = {
      append: (r: JournalRecord) => journal.append(r),
      // This month's and last month's fills: enough to resume any open trade after a crash.
      readFills: async () => (await readJournal(opts.stateDir, { fromMs: Date.now() - 62 * 86_400_000 })).records.filter((r): r is FillRecord => r.type === 'fill'),
    };
    engine = new Engine(
      { port, store: mirror?.watch(store) ?? store, journal: engineJournal, alerts: { send }, logger: logger.child('engine'), now: market.now, strategies },
      engineSettingsFrom(config),
    );
    const blockingEngine = engine;
    storage.attach((reason) => blockingEngine.setBlock('storage', reason));
    await engine.start();
    cleanups.push(() => engine!.stop());
    const liveEngine = engine;
    patience.startupDone();
    if (mirror) cleanups.splice(cleanups.length - 1, 0, /* stopped after the main engine: its shutdown never waits for the mirror */ mirror.start({ clock, mainEquity: async () => (await port.fetchBalance()).equity, refreshStatus: () => refreshStatus() }));

    // The account's fee rates, once a day (the engine read them at start; the last known stay on failure).
    const feeTimer = setInterval(() => void liveEngine.refreshFees(), 86_400_000);
    cleanups.push(() => clearInterval(feeTimer));

    const reconcileTimer = setInterval(() => {
      liveEngine.reconcile('periodic').catch((e: unknown) => logger.warn('periodic reconciliation failed', { error: e instanceof Error ? e.message : String(e) }));
    }, RECONCILE_EVERY_MS);
    cleanups.push(() => clearInterval(reconcileTimer));

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
          await port.loadInstruments(config.symbols.filter((s) => s.enabled).map((s) => s.symbol));
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
        mirror?.configChanged(next.config);
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
        patience.stop();
        const deadline = new Promise<void>((r) => setTimeout(() => (logger.warn(`the shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s: exiting anyway`), r()), SHUTDOWN_DEADLINE_MS).unref());
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
    cleanups.push(collectStartUpGarbage());
    return { engine: liveEngine, stateDir: opts.stateDir, stop, stopped };
  } catch (e) {
    patience.stop();
    await cleanup();
    throw e;
  } finally {
    abort?.removeEventListener('abort', stopWaiting);
  }
}
