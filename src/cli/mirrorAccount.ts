/**
 * The mirror account (issue 24 item 3): a second Bybit account that copies every entry of the main
 * one at the same share of its own balance, with its own exchange-side stop and the same take-profit
 * ladder, breakeven and trailing (a second engine, its own state in `<stateDir>/mirror`), and closes
 * when the main position closes. No strategy runs here: the main account's store tells what opened
 * and what closed.
 *
 * Independent by construction: the main engine only writes its store; this class sees the change
 * and does its work later, on its own chain of promises. Nothing the main account does ever waits
 * for the mirror; a mirror that cannot start (key refused, exchange down) says so, alerts and tries
 * again with a growing wait, while the main account trades on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClockService } from '../clock/clockService.js';
import type { Config } from '../config/schema.js';
import type { StatusSnapshot } from '../alerts/Alert.js';
import type { FillRecord, JournalRecord } from '../domain/journalRecord.js';
import type { Decimal } from '../domain/money.js';
import type { DeepReadonly, PersistedState } from '../domain/persistedState.js';
import { Engine } from '../engine/engine.js';
import type { ExchangePort, OrderRequest } from '../engine/exchangePort.js';
import { parseOrderLinkId } from '../engine/orderLinkId.js';
import type { EngineAlert, EngineStore } from '../engine/ports.js';
import { createBybitExchange, bybitNetworkForMode } from '../exchange/bybit/bybitExchange.js';
import { Journal, readJournal } from '../state/journal.js';
import { StateStore } from '../state/stateStore.js';
import { createLogger, type Logger } from '../util/logger.js';
import type { CommandIo } from './command.js';
import { entryWorking, isOpen, mirrorCompare } from './mirrorCompare.js';
import { copyOrderKind, mirrorCopy, type MainPosition, type MirrorCopy } from './mirrorCopy.js';
import { mirrorKeyCheck } from './mirrorKeyCheck.js';
import { copiers, mirrorSettings } from './mirrorSettings.js';
import { describeFailure, Patience } from './patience.js';
import { patientPort } from './patientPort.js';
import { persistentCreates } from './persistentCreates.js';
import type { RunOptions } from './runOptions.js';
import { watchCandles } from './watchCandles.js';
import { positionProgress } from './watchLocks.js';
import { ORDER_ID_PREFIX } from './wiring.js';

/** The mirror's own state, journal and lock live here, inside the main state directory. */
export const MIRROR_DIR = 'mirror';
const RECONCILE_EVERY_MS = 60_000;
/** A failed start is tried again after this, doubling up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 300_000;
/** At a stop, work under way gets this long to finish; what is left is the next start's. */
const STOP_WAIT_MS = 2_000;

export interface MirrorStart {
  readonly clock: ClockService;
  /** The main account's equity now (USDT), for the share of the balance an entry took. */
  readonly mainEquity: () => Promise<Decimal>;
  /** The ongoing notification shows the mirror's state (statusPart): told when it changes. */
  readonly refreshStatus?: () => void;
}

type MainState = DeepReadonly<PersistedState>;

export class MirrorAccount {
  readonly #opts: RunOptions;
  readonly #log: Logger;
  readonly #deliver: (a: EngineAlert) => void;
  #config: Config;
  #enabled: boolean;
  /** The main position each symbol holds, by its entry id, as last seen in the main store. */
  readonly #mainOpen = new Map<string, string>();
  #mainStore: EngineStore | null = null;
  #started: MirrorStart | null = null;
  #engine: Engine | null = null;
  #port: ExchangePort | null = null;
  #store: StateStore | null = null;
  #journal: Journal | null = null;
  #patience: Patience;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  readonly #abort = new AbortController();
  /** Why the mirror does not trade now (the ongoing notification), or null. */
  #whyNot: string | null = null;
  /** The last price streamed per symbol: a late copy is planned at it. */
  readonly #lastPrice = new Map<string, number>();
  /** The main entry each symbol's copy under way follows (its create is sent until it goes, while that entry is open). */
  readonly #copying = new Map<string, string>();
  /** Each symbol's last copy's own sizing and exits: kept through a hot reload while its position is open. */
  readonly #own = new Map<string, MirrorCopy['own']>();

  /** A mirror is configured: `mirror.enabled`, or a mirror key that a hot reload may enable. */
  static configured(config: Config, opts: RunOptions): boolean {
    return config.mirror.enabled || Boolean(opts.secrets.mirrorApiKey);
  }

  /** Null when no mirror is configured: the bot then runs exactly as before. */
  static fromConfig(config: Config, opts: RunOptions, io: CommandIo, deliver: (a: EngineAlert) => void): MirrorAccount | null {
    return MirrorAccount.configured(config, opts) ? new MirrorAccount(config, opts, io, deliver) : null;
  }

  private constructor(config: Config, opts: RunOptions, io: CommandIo, deliver: (a: EngineAlert) => void) {
    this.#config = config;
    this.#opts = opts;
    this.#deliver = deliver;
    this.#enabled = config.mirror.enabled;
    this.#log = createLogger({ level: config.log.level, stream: io.stderr, env: io.env, label: 'MIRROR', file: { path: join(opts.stateDir, 'bot.log'), maxBytes: config.log.maxBytes, keep: config.log.keep } });
    this.#patience = new Patience(this.#log);
  }

  /** Every alert names its account once a mirror is configured: the main one's say MAIN. */
  static label(a: EngineAlert): EngineAlert {
    return a.title.startsWith('MIRROR') ? a : { ...a, title: `MAIN: ${a.title}` };
  }

  /** The main engine's store, watched: an entry that fills is copied, a position that closes is closed here too. */
  watch(store: EngineStore): EngineStore {
    this.#mainStore = store;
    for (const [sym, s] of Object.entries(store.state.symbols)) if (isOpen(s.position) && !entryWorking(store.state, sym)) this.#mainOpen.set(sym, this.#entryKey(s.position));
    return {
      get state() {
        return store.state;
      },
      update: (mutate) => {
        store.update(mutate);
        this.#mainChanged(store.state);
      },
      flush: () => store.flush(),
    };
  }

  /** After the main account started: the mirror starts on its own, never awaited. Returns its shutdown. */
  start(start: MirrorStart): () => Promise<void> {
    const stop = (): Promise<void> => this.stop();
    if (this.#config.mode === 'paper' || this.#opts.paper || this.#opts.replay) {
      this.#whyNot = 'it trades only in testnet, demo and mainnet modes';
      this.#log.warn(`the mirror account is not started: ${this.#whyNot}`);
      return stop;
    }
    this.#started = start;
    if (this.#enabled) this.#boot(FIRST_RETRY_MS);
    else this.#log.info('mirror.enabled is false: the mirror account copies nothing until it is set to true');
    return stop;
  }

  /** The MIRROR line of the ongoing notification: trading or not and why, its open positions. */
  statusPart(): Pick<StatusSnapshot, 'mirror'> {
    const waiting = this.#patience.waiting;
    const why = waiting ? `waiting for Bybit: ${waiting.step}` : this.#whyNot ?? (this.#enabled ? (this.running ? undefined : 'starting') : 'mirror.enabled is false, new entries are not copied');
    const positions = Object.entries(this.#store?.state.symbols ?? {}).flatMap(([symbol, s]) => (isOpen(s.position) ? [{ symbol, side: s.position.side, detail: positionProgress(s.position) ?? '' }] : []));
    return { mirror: { trading: this.running, ...(why ? { why } : {}), openPositions: positions } };
  }

  /** Hot reload: `mirror.enabled` switches the copying of new entries (a mirror position open stays managed). */
  configChanged(next: Config): void {
    const was = this.#enabled;
    this.#config = next;
    this.#enabled = next.mirror.enabled;
    const live = [...this.#own].filter(([sym]) => isOpen(this.#store?.state.symbols[sym]?.position));
    this.#engine?.updateSettings(mirrorSettings(next, new Map(live)), new Map());
    if (was === this.#enabled) return;
    this.#log.info(this.#enabled ? 'mirror.enabled set to true: entries of the main account are copied again' : 'mirror.enabled set to false: new entries are not copied; an open mirror position still follows the main one');
    if (this.#enabled && this.#engine === null && this.#started && this.#timer === null) this.#boot(FIRST_RETRY_MS);
    // Running already (switched off and on again): a main position entered meanwhile is copied as it is now.
    else if (this.#enabled) this.#follow(() => this.#catchUp());
    this.#started?.refreshStatus?.();
  }

  /** What `status` and the owner see: running, or why not. */
  get running(): boolean {
    return this.#engine?.started ?? false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#candleSeen(); // a copy waiting for its first candle gives up
    this.#patience.stop();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await Promise.race([this.#chain.catch(() => {}), new Promise<void>((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    await this.#shutdown();
  }

  // ------------------------------------------------------------------ start, and start again

  #boot(waitMs: number): void {
    this.#timer = null;
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return;
      try {
        await this.#startEngine();
      } catch (e) {
        await this.#shutdown();
        if (this.#stopped) return;
        // Our own words (no key, key refused) as they are; anything else with its error name.
        const why = e instanceof Error && e.name === 'Error' ? e.message : describeFailure(e);
        this.#whyNot = why.split(' Fix: ')[0]!;
        this.#started?.refreshStatus?.();
        this.#log.error(`not trading: ${why}; trying again in ${Math.round(waitMs / 1000)} s (the main account trades on)`);
        this.#alert('critical', 'MIRROR not trading', `${why}\nTried again in ${Math.round(waitMs / 1000)} s, then less often. The main account trades on.`, 'mirror-down');
        this.#timer = setTimeout(() => this.#boot(Math.min(waitMs * 2, MAX_RETRY_MS)), waitMs);
        this.#timer.unref();
      }
    });
  }

  async #startEngine(): Promise<void> {
    const { clock } = this.#started!;
    const config = this.#config;
    const { key, secret } = await mirrorKeyCheck(config, clock, this.#opts.secrets.mirrorApiKey, this.#opts.secrets.mirrorApiSecret);
    const dir = join(this.#opts.stateDir, MIRROR_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#store ??= await StateStore.open(dir, { onWriteError: (e) => this.#log.warn('state write failed', { error: e instanceof Error ? e.message : String(e) }) });
    this.#journal ??= new Journal(dir);
    const journal = this.#journal;
    this.#patience = new Patience(this.#log, () => this.#started?.refreshStatus?.());
    this.#port = createBybitExchange({
      network: bybitNetworkForMode(config.mode),
      restUrl: config.exchange.restUrl,
      wsPublicUrl: config.exchange.wsPublicUrl,
      wsPrivateUrl: config.exchange.wsPrivateUrl,
      credentials: { apiKey: key, apiSecret: secret },
      clock,
      recvWindowMs: config.exchange.recvWindowMs,
      requestTimeoutMs: config.exchange.requestTimeoutMs,
      logger: this.#log.child('exchange'),
    });
    // The engine's market clock is set by the first confirmed candle; an entry sent before it would
    // be stamped on the machine's clock, later than the exchange's own time of its fill.
    this.#sawCandle = false;
    const seen = new Promise<void>((resolve) => (this.#candleSeen = resolve));
    this.#firstCandle = seen;
    const settings = mirrorSettings(config);
    if (settings.symbols.length === 0) throw new Error('no scalper symbol in config.json: the mirror copies scalper entries only');
    const engine = new Engine(
      {
        port: patientPort(watchCandles(persistentCreates(this.#port, { log: this.#log.child('orders'), kind: copyOrderKind, unwanted: (r) => this.#unwanted(r), stopped: () => this.#stopped, signal: this.#abort.signal }), (symbol, close, confirmed) => this.#noteCandle(symbol, close, confirmed)), this.#patience),
        store: this.#store,
        journal: {
          append: (r: JournalRecord) => journal.append(r),
          readFills: async () => (await readJournal(dir, { fromMs: Date.now() - 62 * 86_400_000 })).records.filter((r): r is FillRecord => r.type === 'fill'),
        },
        alerts: { send: (a) => this.#deliver({ ...a, title: `MIRROR: ${a.title}` }) },
        logger: this.#log.child('engine'),
        now: () => clock.now(),
        strategies: copiers(settings),
      },
      settings,
    );
    this.#store.update((d) => {
      d.mode = config.mode;
    });
    await engine.start();
    this.#patience.startupDone();
    this.#engine = engine;
    this.#whyNot = null;
    this.#started?.refreshStatus?.();
    // Then main and mirror compared: a close that failed, or a copy that landed late, is put right.
    const timer = setInterval(() => void engine.reconcile('periodic').catch((e: unknown) => this.#log.warn('periodic reconciliation failed', { error: describeFailure(e) })).finally(() => this.#follow(() => this.#catchUp(false))), RECONCILE_EVERY_MS);
    timer.unref();
    const prevStop = this.#shutdownExtra;
    this.#shutdownExtra = () => {
      clearInterval(timer);
      prevStop();
    };
    this.#log.info('running', { symbols: settings.symbols.filter((s) => s.enabled).map((s) => s.symbol).join(',') });
    this.#alert('info', 'MIRROR trading', 'The mirror account is connected and follows the main account.', 'mirror-up');
    await this.#catchUp();
  }

  #shutdownExtra: () => void = () => {};

  /** Every streamed candle: the last price, and the first confirmed one since the start (#firstCandle). */
  #noteCandle(symbol: string, close: number, confirmed: boolean): void {
    this.#lastPrice.set(symbol, close);
    if (!confirmed) return;
    this.#sawCandle = true;
    this.#candleSeen();
  }
  #candleSeen: () => void = () => {};
  #sawCandle = false;
  #firstCandle: Promise<void> = Promise.resolve();

  async #shutdown(): Promise<void> {
    this.#shutdownExtra();
    this.#shutdownExtra = () => {};
    const engine = this.#engine;
    this.#engine = null;
    try {
      if (engine) await engine.stop();
      await this.#port?.close();
    } catch (e) {
      this.#log.warn('cleanup step failed', { error: describeFailure(e) });
    }
    this.#port = null;
    if (this.#stopped) {
      await this.#journal?.close();
      await this.#store?.close();
    }
  }

  /**
   * After a (re)start (`copyMissing`) and on a timer: main and mirror compared (./mirrorCompare.ts).
   * A mirror position whose main position has closed, or is another entry now, is closed (then
   * main's is copied); after a start, a main position the mirror never copied is copied (same entry
   * id: Bybit refuses a second one).
   */
  async #catchUp(copyMissing = true): Promise<void> {
    const main = this.#mainStore?.state;
    const mine = this.#store?.state;
    if (!main || !mine || this.#stopped) return;
    const copied = new Set((await readJournal(join(this.#opts.stateDir, MIRROR_DIR))).records.filter((r): r is FillRecord => r.type === 'fill').map((f) => f.orderLinkId));
    for (const [sym, action] of mirrorCompare(main, mine, copied, new Set(this.#copying.keys()))) {
      if (action === 'replace') this.#log.info(`${sym}: this position copies an entry the main account no longer holds: closing it, then copying main's`);
      if (action !== 'copy') await this.#close(sym);
      if (action === 'replace' || (action === 'copy' && copyMissing)) await this.#copy(sym);
    }
  }

  // ------------------------------------------------------------------ following the main account

  #entryKey(pos: MainPosition): string {
    return pos.entryOrderLinkId ?? `opened-${pos.openedMs}`;
  }

  /** Called after every change of the main store: cheap unless a position opened or closed. */
  #mainChanged(state: MainState): void {
    for (const [sym, s] of Object.entries(state.symbols)) {
      const pos = s.position;
      const seen = this.#mainOpen.get(sym);
      if (isOpen(pos)) {
        const key = this.#entryKey(pos);
        // A limit entry filling in parts is copied once, when its order is done (filled, or its rest cancelled).
        if (seen === key || entryWorking(state, sym)) continue;
        this.#mainOpen.set(sym, key);
        this.#follow(() => this.#copy(sym));
      } else if (pos === null && seen !== undefined) {
        this.#mainOpen.delete(sym);
        this.#follow(() => this.#close(sym));
      }
    }
  }

  /** Work for the mirror, one step after another, never awaited by the main account. */
  #follow(step: () => Promise<void>): void {
    if (this.#engine === null) return; // not running: #catchUp does it at the start
    this.#chain = this.#chain.then(step).catch((e: unknown) => {
      const why = describeFailure(e);
      this.#log.error(`following the main account failed: ${why}`);
      this.#alert('warning', 'MIRROR did not follow', `${why}\nMain and mirror are compared again within ${RECONCILE_EVERY_MS / 1000} s (a mirror position main no longer holds is closed then); the main account trades on.`, 'mirror-follow');
    });
  }

  async #copy(sym: string): Promise<void> {
    const first = this.#mainStore?.state.symbols[sym]?.position;
    if (!this.#engine || !isOpen(first)) return;
    if (!this.#enabled) return this.#log.info(`${sym}: the main account's ${first.side} entry is not copied (mirror.enabled is false)`);
    if (!this.#sawCandle) this.#log.info(`${sym}: the main account's ${first.side} position is copied at the next candle (the first since the start)`);
    await this.#firstCandle;
    if (this.#stopped) return;
    const [mainEquity, mine] = await Promise.all([this.#started!.mainEquity(), this.#port!.fetchBalance()]);
    // Main as it is now, after the waits: a target may have filled and its stop moved meanwhile.
    const pos = this.#mainStore?.state.symbols[sym]?.position;
    const engine = this.#engine;
    if (!engine || !isOpen(pos)) return;
    const stampMs = (pos.entryOrderLinkId ? parseOrderLinkId(ORDER_ID_PREFIX, pos.entryOrderLinkId)?.stampMs : undefined) ?? pos.openedMs;
    const exits = mirrorSettings(this.#config).symbols.find((s) => s.symbol === sym)?.exits;
    if (!exits) return;
    const copy = mirrorCopy({ symbol: sym, pos, stampMs, mainEquity, mirrorEquity: mine.equity, lastPrice: this.#lastPrice.get(sym) ?? null, exits });
    if (typeof copy === 'string') return this.#log.warn(`${sym}: not copied: ${copy}`);
    const late = copy.targetsFilled > 0 ? `; ${copy.targetsFilled} target(s) of main already filled: ${copy.remaining.mul(100).toFixed(2)} % of the entry, its ${copy.targetsOpen} open target(s), stop ${copy.intent.stopLoss}` : '';
    this.#log.info(`${sym}: copying the main account's ${pos.side} entry at ${copy.sharePct.toFixed(2)} % of the balance: ${copy.notional.toFixed(2)} USDT of ${mine.equity.toFixed(2)} USDT${late}`);
    this.#copying.set(sym, this.#entryKey(pos));
    try {
      this.#own.set(sym, copy.own);
      await engine.copyEntry(copy.intent, copy.own);
    } finally {
      this.#copying.delete(sym);
    }
  }

  /** Why a copy order is no longer wanted: the main position it copies has closed (or is another one now). */
  #unwanted(req: OrderRequest): string | null {
    const pos = this.#mainStore?.state.symbols[req.symbol]?.position;
    const following = this.#copying.get(req.symbol);
    if (!isOpen(pos) || (following !== undefined && following !== this.#entryKey(pos))) return "the main account's position closed meanwhile";
    return null;
  }

  async #close(sym: string): Promise<void> {
    const engine = this.#engine;
    if (!engine) return;
    const mine = this.#store?.state.symbols[sym];
    if (!mine || (mine.position === null && Object.keys(mine.openOrders).length === 0)) return;
    this.#log.info(`${sym}: the main account's position closed: closing this one and cancelling its orders`);
    await engine.closePosition(sym, "the main account's position closed");
  }

  #alert(level: EngineAlert['level'], title: string, body: string, dedupeKey: string): void {
    this.#deliver({ level, kind: level === 'info' ? 'startup' : 'error', title, body, dedupeKey });
  }
}
