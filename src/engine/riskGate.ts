/**
 * The risk gate: whether new entries are allowed. It keeps the owner's pause and kill switch, the
 * protections' locks (daily loss, drawdown, loss streak; see protections.ts), the daily window
 * they are measured in, and the blocks the bot sets itself (battery, clock). The daily-loss and
 * drawdown locks measure the bot's own equity (KillSwitch.equity: its realised and open PnL, fees
 * and funding), never the account's, whose USD value moves with every other coin it holds. They are
 * checked whenever that equity is measured: each candle close while a trade is open (and every
 * hour), each closed trade, entry decision and funding charge.
 * A lock stops new entries only; open positions stay managed.
 */
import { dec, money, type Decimal } from '../domain/money.js';
import type { DeepReadonly, ProtectionName } from '../domain/persistedState.js';
import type { PositionSide } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import { CircuitBreaker } from './circuitBreaker.js';
import type { Balance } from './exchangePort.js';
import type { RiskSettings } from './ports.js';
import { NOTHING_DUE, type KillSwitch } from './killSwitch.js';
import { dailyLossLock, drawdownLock, lossStreakLock, nextDayStartMs, startOfDayMs, type ClosedTrade, type Lock } from './protections.js';

/** A pushed balance this recent sizes an entry without asking the exchange again. */
const BALANCE_FRESH_MS = 30_000;
/** Closed trades remembered for the loss streak. */
const CLOSED_TRADES_KEPT = 200;

export interface EngineSnapshot {
  readonly paused: boolean;
  readonly locks: readonly { readonly name: ProtectionName; readonly reason: string; readonly untilMs: number | null }[];
  readonly positions: readonly { readonly symbol: string; readonly side: PositionSide; readonly size: string; readonly entryPrice: string }[];
  readonly realisedPnlToday: string;
}

export class RiskGate {
  readonly #ctx: EngineContext;
  /** Entry blocks that live only while the process does (battery, clock), apart from the owner's persisted pause. */
  readonly #blocks = new Map<string, string>();
  readonly #closedTrades: ClosedTrade[] = [];
  /** The newest balance (wallet stream or REST) and when it came, clock time. */
  #lastBalance: { readonly balance: Balance; readonly atMs: number } | null = null;
  #dayEnd: { readonly dayStartMs: number; readonly tz: string; readonly endMs: number } | null = null;
  readonly #breaker: CircuitBreaker;
  readonly #bot: KillSwitch | null;
  /**
   * The inputs of the last daily-loss and drawdown checks that found no lock: while the bot is flat
   * its equity is the same object at every hourly measurement, and each answer (a pure function of
   * these) is again none.
   */
  #dailyQuiet: { readonly eq: Decimal; readonly start: string; readonly risk: RiskSettings } | null = null;
  #drawdownQuiet: { readonly eq: Decimal; readonly peak: string; readonly risk: RiskSettings } | null = null;
  #numA = '';
  #numAValue = NaN;
  #numB = '';
  #numBValue = NaN;

  constructor(ctx: EngineContext, bot: KillSwitch | null = null) {
    this.#ctx = ctx;
    this.#breaker = new CircuitBreaker(ctx);
    this.#bot = bot;
  }

  /** The outcome of an order request, for the circuit breaker. */
  orderOutcome(ok: boolean, error: string | null): void {
    this.#breaker.record(ok, error);
  }

  /** An entry or quote order is leaving (the half-open circuit breaker's trial). */
  openingSent(now: number): void {
    this.#breaker.openingSent(now);
  }

  pause(reason: string): void {
    this.#setLock('paused', { reason, sinceMs: this.#ctx.now(), untilMs: null });
    this.#ctx.alert('warning', 'control', 'Paused', `${reason}. Open positions stay managed; no new entries.`);
  }

  /**
   * Lifts the pause, and the kill switch and drawdown locks unless what set them still holds (they
   * would return at once): then they stay, and the answer says so and how to accept the loss.
   * `resetPeak` accepts it: the bot's equity now becomes the peak both are measured from. Returns
   * the answer for the owner; time-bound locks run out by themselves.
   */
  resume(resetPeak = false): string {
    const now = this.#ctx.now();
    if (resetPeak) this.#bot?.resetPeak();
    const eq = this.#bot?.equity() ?? null;
    const st = this.#ctx.store.state;
    const drawdown =
      st.protections.drawdown === null
        ? null
        : eq === null
          ? { reason: `${st.protections.drawdown.reason} (the bot's equity is not known yet, so it cannot be measured again)` }
          : this.#drawdownNow(now, eq);
    const kill = st.protections.killSwitch !== null ? (this.#bot?.breach() ?? null) : null;
    this.#ctx.store.update((d) => {
      d.protections.paused = null;
      if (kill === null) d.protections.killSwitch = null;
      if (drawdown === null) d.protections.drawdown = null;
    });
    const kept = [...(kill ? [`kill switch: ${kill}`] : []), ...(drawdown ? [`drawdown lock: ${drawdown.reason}`] : [])];
    const peakNote = resetPeak ? `peak reset to the equity now${eq ? ` (${eq.toFixed(2)} USDT)` : ''}; ` : '';
    const answer =
      kept.length === 0
        ? `resumed: ${peakNote}new entries allowed again`
        : `still locked: ${kept.join('; ')}. Resuming now would lock again at once; to accept the loss and measure from the equity now, run \`resume --reset-peak\``;
    this.#ctx.alert('info', 'control', kept.length === 0 ? 'Resumed' : 'Still locked', answer);
    return answer;
  }

  /** Locks entries until `resume --reset-peak` and tells the owner (one critical alert, one error line); the Engine then flattens. */
  killSwitch(reason: string): void {
    this.#setLock('killSwitch', { reason, sinceMs: this.#ctx.now(), untilMs: null });
    const text = `${reason}. Cancelling the bot's orders and closing its positions at market; no new entries until you run \`resume --reset-peak\``;
    this.#ctx.logger.error(`kill switch: ${text}`);
    this.#ctx.alert('critical', 'killSwitch', 'Kill switch', text);
  }

  /**
   * Hot reload: a drawdown lock is measured again against the new limit. Lifted when the bot's
   * equity is no longer that far below the peak; otherwise its message names the limit now in force.
   */
  settingsChanged(now: number): void {
    const lock = this.#ctx.store.state.protections.drawdown;
    const eq = lock === null ? null : (this.#bot?.equity() ?? null);
    if (lock === null || eq === null) return;
    const still = this.#drawdownNow(now, eq);
    if (still === null) {
      this.#ctx.store.update((d) => {
        d.protections.drawdown = null;
      });
      this.#ctx.alert('info', 'control', 'Drawdown lock lifted', `The limit is now ${this.#ctx.settings().risk.maxDrawdownPct} %, above the drawdown; new entries allowed again.`);
    } else if (still.reason !== lock.reason) {
      this.#setLock('drawdown', { reason: still.reason, sinceMs: lock.sinceMs, untilMs: null });
    }
  }

  /** The drawdown lock at the bot's equity `eq`, from the peak it shares with the kill switch. */
  #drawdownNow(now: number, eq: Decimal): Lock | null {
    const b = this.#ctx.store.state.botEquity;
    if (!b) return null;
    return drawdownLock({ equityPeak: dec(b.peak), equity: eq, maxDrawdownPct: this.#ctx.settings().risk.maxDrawdownPct, nowMs: now });
  }

  /** The daily-loss lock at the bot's equity `eq`, against its equity at the start of the current day window. */
  #dailyLossNow(now: number, eq: Decimal): Lock | null {
    const risk = this.#ctx.settings().risk;
    const start = this.#ctx.store.state.daily?.botEquityAtDayStart ?? null;
    if (start === null) return null;
    return dailyLossLock({ dayStartEquity: dec(start), equity: eq, nowMs: now, timeZone: risk.dayTimeZone, maxDailyLossPct: risk.maxDailyLossPct });
  }

  setBlock(source: 'battery' | 'clock' | 'storage', reason: string | null): void {
    if (reason === null) this.#blocks.delete(source);
    else this.#blocks.set(source, reason);
  }

  /** The first block, else the first protection lock still active: no list built (it runs for every signal). */
  entryLock(now: number): { name: string; reason: string } | null {
    for (const [source, reason] of this.#blocks) return { name: source, reason };
    const p = this.#ctx.store.state.protections;
    // for-in: the order of Object.keys, without an array per signal.
    for (const key in p) {
      const name = key as ProtectionName;
      const l = p[name];
      if (l && (l.untilMs === null || l.untilMs > now)) return { name, reason: l.reason };
    }
    const breaker = this.#breaker.blocks(now);
    return breaker === null ? null : { name: 'circuitBreaker', reason: breaker };
  }

  /** Checks daily loss, drawdown (measuring the bot's equity) and loss streak; stores and announces a new lock. */
  evaluateProtections(now: number): Lock | null {
    const risk = this.#ctx.settings().risk;
    const eq = this.#bot?.measure(now) ?? null;
    const found: [ProtectionName, Lock | null][] = [
      ['dailyLoss', eq === null ? null : this.#dailyLossNow(now, eq)],
      ['drawdown', eq === null ? null : this.#drawdownNow(now, eq)],
      ['consecutiveLoss', lossStreakLock({ trades: this.#closedTrades, nowMs: now, losses: risk.lossStreak.losses, cooldownMinutes: risk.lossStreak.cooldownMinutes })],
    ];
    let first: Lock | null = null;
    for (const [name, lock] of found) {
      if (!lock) continue;
      first ??= lock;
      this.#announce(name, lock, now);
    }
    return first;
  }

  /** A candle closed: the bot's equity, when due (KillSwitch.onCandle), against the daily-loss and drawdown limits. */
  onCandle(now: number): void {
    const bot = this.#bot;
    if (bot === null) return;
    const approx = bot.steadyEquity(now);
    if (approx === NOTHING_DUE || (approx === approx && this.#clearAt(approx, bot.tolerance, now))) return;
    const eq = bot.onCandle(now);
    if (eq !== null) this.#equityLocks(now, eq);
  }

  /**
   * #equityLocks would find nothing to announce at an equity within `tol` of `eq`: each lock is in
   * force already or clearly not reached (the margins are far above the doubles' errors; near a
   * limit the answer is false and the Decimal measurement decides).
   */
  #clearAt(eq: number, tol: number, now: number): boolean {
    const st = this.#ctx.store.state;
    const risk = this.#ctx.settings().risk;
    const start = st.daily?.botEquityAtDayStart ?? null;
    if (start !== null && !inForce(st.protections.dailyLoss, now)) {
      const s = this.#numberOf(start);
      if (!(s <= 0)) {
        const loss = s - eq;
        const limit = (s * risk.maxDailyLossPct) / 100;
        if (!(loss + tol + 1e-12 * (Math.abs(loss) + Math.abs(limit) + s) < limit)) return false;
      }
    }
    const peak = st.botEquity?.peak ?? null;
    if (peak !== null && !inForce(st.protections.drawdown, now)) {
      const p = this.#numberOf(peak);
      if (!(p <= 0)) {
        const fall = (p - eq) * 100;
        const limit = risk.maxDrawdownPct * p;
        if (!(fall + 100 * tol + 1e-12 * (Math.abs(fall) + Math.abs(limit)) < limit)) return false;
      }
    }
    return true;
  }

  /** A stored amount as a double, the last two remembered (the day's start and the peak). */
  #numberOf(text: string): number {
    if (text === this.#numA) return this.#numAValue;
    if (text === this.#numB) return this.#numBValue;
    this.#numB = this.#numA;
    this.#numBValue = this.#numAValue;
    this.#numA = text;
    this.#numAValue = Number(text);
    return this.#numAValue;
  }

  /**
   * Funding was charged to an open trade: it counts toward the day's loss now, not when the trade
   * closes. The caller rolls the day window before charging it, so funding at midnight belongs to
   * the day it opens.
   */
  fundingBooked(now: number): void {
    const eq = this.#bot?.measure(now) ?? null;
    if (eq !== null) this.#equityLocks(now, eq);
  }

  /**
   * A lock already in force is not worked out again (#announce would drop it): once the drawdown
   * lock holds, a backtest measures the equity every hour until its end.
   */
  #equityLocks(now: number, eq: Decimal): void {
    const st = this.#ctx.store.state;
    const risk = this.#ctx.settings().risk;
    const start = st.daily?.botEquityAtDayStart ?? null;
    const dq = this.#dailyQuiet;
    if (start !== null && !inForce(st.protections.dailyLoss, now) && !(dq !== null && dq.eq === eq && dq.start === start && dq.risk === risk)) {
      const daily = this.#dailyLossNow(now, eq);
      if (daily) this.#announce('dailyLoss', daily, now);
      this.#dailyQuiet = daily === null ? { eq, start, risk } : null;
    }
    const peak = st.botEquity?.peak ?? null;
    const wq = this.#drawdownQuiet;
    if (peak !== null && !inForce(st.protections.drawdown, now) && !(wq !== null && wq.eq === eq && wq.peak === peak && wq.risk === risk)) {
      const drawdown = this.#drawdownNow(now, eq);
      if (drawdown) this.#announce('drawdown', drawdown, now);
      this.#drawdownQuiet = drawdown === null ? { eq, peak, risk } : null;
    }
  }

  /** Stores and announces a lock, unless that lock is already in force (each is said once). */
  #announce(name: ProtectionName, lock: Lock, now: number): void {
    if (inForce(this.#ctx.store.state.protections[name], now)) return;
    this.#setLock(name, { reason: lock.reason, sinceMs: lock.sinceMs, untilMs: lock.untilMs });
    this.#ctx.alert(name === 'drawdown' ? 'critical' : 'warning', name === 'drawdown' ? 'killSwitch' : 'error', `Entries stopped: ${name}`, lock.reason);
  }

  /** A completed trade (PnL net of fees) counts toward the loss streak and the day's realised PnL. */
  recordTrade(symbol: string, pnl: Decimal, now: number): void {
    // The window first: a trade closing in a new day counts in that day.
    this.rollDailyWindow(now);
    this.#bot?.recordTrade(pnl, now);
    this.#closedTrades.push({ symbol, closedAtMs: now, pnl });
    if (this.#closedTrades.length > CLOSED_TRADES_KEPT) this.#closedTrades.splice(0, this.#closedTrades.length - CLOSED_TRADES_KEPT);
    this.#ctx.store.update((d) => {
      if (d.daily) d.daily.realisedPnl = money(dec(d.daily.realisedPnl).plus(pnl).toDecimalPlaces(8));
    });
  }

  /**
   * Starts a new day window at midnight (day zone): its base is the bot's equity then. A window
   * without a base (the bot's equity was not known yet, or an older state file) takes the equity now.
   */
  rollDailyWindow(now: number): void {
    const tz = this.#ctx.settings().risk.dayTimeZone;
    const daily = this.#ctx.store.state.daily;
    if (daily && now < this.#dayEndMs(daily.dayStartMs, tz)) {
      if (daily.botEquityAtDayStart === null) this.#baseDay();
      return;
    }
    this.#startDay(now, tz);
  }

  // The store updates of rollDailyWindow, apart: a closure in it would allocate its context at
  // every call (every candle), not only on the rare calls that write.
  #baseDay(): void {
    const eq = this.#bot?.equity() ?? null;
    if (eq === null) return;
    this.#ctx.store.update((d) => {
      d.daily!.botEquityAtDayStart = money(eq.toDecimalPlaces(8));
    });
  }

  #startDay(now: number, tz: string): void {
    const eq = this.#bot?.equity() ?? null;
    this.#ctx.store.update((d) => {
      d.daily = { dayStartMs: startOfDayMs(now, tz), realisedPnl: '0', botEquityAtDayStart: eq === null ? null : money(eq.toDecimalPlaces(8)) };
    });
  }

  /**
   * The balance to size an entry with: the wallet stream's newest while fresh (it pushes on every
   * change), so an entry costs no REST round trip; otherwise asked for.
   */
  async balance(): Promise<Balance> {
    const cached = this.#lastBalance;
    if (cached && this.#ctx.clockMs() - cached.atMs < BALANCE_FRESH_MS) return cached.balance;
    const balance = await this.#ctx.port.fetchBalance();
    this.#lastBalance = { balance, atMs: this.#ctx.clockMs() };
    return balance;
  }

  /** A balance pushed by the wallet stream. */
  noteBalance(balance: Balance): void {
    this.#lastBalance = { balance, atMs: this.#ctx.clockMs() };
    this.noteEquity(balance.equity);
  }

  /** An account equity observation: the first one ever is where the bot's own equity starts. */
  noteEquity(equity: Decimal): void {
    this.#bot?.start(equity);
  }

  /** Pause, active locks, open positions and today's realised PnL, as the owner's status shows them. */
  snapshot(now: number): EngineSnapshot {
    const st = this.#ctx.store.state;
    const locks = (Object.entries(st.protections) as [ProtectionName, DeepReadonly<{ reason: string; untilMs: number | null }> | null][])
      .filter(([, l]) => l !== null && (l.untilMs === null || l.untilMs > now))
      .map(([name, l]) => ({ name, reason: l!.reason, untilMs: l!.untilMs }));
    const positions = Object.entries(st.symbols)
      .filter(([, s]) => s.position !== null && dec(s.position.size).gt(0))
      .map(([symbol, s]) => ({ symbol, side: s.position!.side, size: s.position!.size, entryPrice: s.position!.entryPrice }));
    return { paused: st.protections.paused !== null, locks, positions, realisedPnlToday: st.daily?.realisedPnl ?? '0' };
  }

  #setLock(name: ProtectionName, lock: { reason: string; sinceMs: number; untilMs: number | null }): void {
    this.#ctx.store.update((d) => {
      d.protections[name] = lock;
    });
  }

  /**
   * nextDayStartMs for the current daily window, remembered: it formats dates in the zone (Intl),
   * far too slow to repeat on every candle of a backtest, and it only changes with the window.
   */
  #dayEndMs(dayStartMs: number, tz: string): number {
    const c = this.#dayEnd;
    if (c !== null && c.dayStartMs === dayStartMs && c.tz === tz) return c.endMs;
    const endMs = nextDayStartMs(dayStartMs, tz);
    this.#dayEnd = { dayStartMs, tz, endMs };
    return endMs;
  }
}

/** A stored lock that still stops entries at `now`. */
function inForce(lock: DeepReadonly<{ untilMs: number | null }> | null, now: number): boolean {
  return lock !== null && (lock.untilMs === null || lock.untilMs > now);
}
