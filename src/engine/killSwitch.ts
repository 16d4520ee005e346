/**
 * The bot's own equity and the kill switch on it (hummingbot's kill switch, freqtrade's
 * protections). The bot's equity is the account equity when the bot first saw it, plus the net PnL
 * of its closed trades since, plus what its open trades would book if closed at the last close
 * (partial exits and every fee paid included): what the bot made or lost, whatever else the
 * account does. Funding counts from the moment it is booked (RoundTrip.addFunding). It is written
 * to the journal as an `equity` record (source `bot`) every hour of market time and at each close,
 * which is what `status` computes drawdown, Sharpe and Sortino from. It is the one measure the
 * daily-loss and drawdown locks use too (RiskGate); `peak` is shared with the drawdown lock.
 *
 * With `risk.killSwitchDrawdownPct` set, a fall of that much below the peak fires the kill switch
 * (the Engine cancels the bot's orders, closes its positions at market and locks entries until a
 * person runs `resume --reset-peak`). Measured at every candle close and every closed trade; unset,
 * at every candle close while the bot holds an open trade (its equity moves only then), at each
 * hour, closed trade, entry decision and funding charge.
 */
import { dec, money, type Decimal } from '../domain/money.js';
import type { EngineContext } from './engineContext.js';
import type { LedgerWriter } from './ledgerWriter.js';
import type { SymbolRuntime } from './symbolRuntime.js';

const HOUR_MS = 3_600_000;
/** KillSwitch.steadyEquity's answer when nothing is due at a candle close. */
export const NOTHING_DUE = -Infinity;

export class KillSwitch {
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  readonly #symbols: () => Iterable<SymbolRuntime>;
  /** `symbols()` as an array, made at the first use that finds any (the engine makes them all in its constructor): looped at every candle. */
  #list: readonly SymbolRuntime[] = [];
  readonly #fire: (reason: string) => void;
  #lastHour = -1;
  /** The start equity plus the closed trades' PnL, as last read from the store. */
  #booked: { readonly start: string; readonly realised: string; readonly value: Decimal; readonly num: number } | null = null;
  /** A bound on the error of steadyEquity's last answer. */
  #tolerance = 0;
  /** The stored peak as last parsed, and the last equity journalled with its text: while flat the equity is the same object every hour. */
  #peakText = '';
  #peakNumText = '';
  #peakNum = NaN;
  #peak: Decimal | null = null;
  #written: Decimal | null = null;
  #writtenText = '';

  constructor(ctx: EngineContext, ledger: LedgerWriter, symbols: () => Iterable<SymbolRuntime>, fire: (reason: string) => void) {
    this.#ctx = ctx;
    this.#ledger = ledger;
    this.#symbols = symbols;
    this.#fire = fire;
  }

  /** An account equity observation: the first one ever starts the bot's equity. */
  start(accountEquity: Decimal): void {
    if (this.#ctx.store.state.botEquity) return;
    const eq = money(accountEquity);
    const now = this.#ctx.now();
    this.#ctx.store.update((d) => {
      d.botEquity = { startEquity: eq, realisedPnl: '0', peak: eq, peakAtMs: now };
    });
  }

  /** A closed trade (net of fees): booked, recorded, and measured against the limit. */
  recordTrade(pnl: Decimal, now: number): void {
    const b = this.#ctx.store.state.botEquity;
    if (!b) return;
    this.#ctx.store.update((d) => {
      d.botEquity!.realisedPnl = money(dec(b.realisedPnl).plus(pnl).toDecimalPlaces(8));
    });
    this.measure(now, true);
  }

  /**
   * A candle closed: the hourly record, and a measurement when the kill switch is set or an open
   * trade moves the equity. Returns the equity when it measured; cheap when nothing is due.
   */
  onCandle(now: number): Decimal | null {
    const hour = Math.floor(now / HOUR_MS);
    const hourly = hour !== this.#lastHour;
    if (!hourly && (this.#ctx.settings().risk.killSwitchDrawdownPct ?? null) === null && !this.#exposed()) return null;
    if (hourly) this.#lastHour = hour;
    return this.measure(now, hourly);
  }

  /** The bot's equity now; null before it has been started. */
  equity(): Decimal | null {
    const b = this.#ctx.store.state.botEquity;
    if (!b) return null;
    let eq = this.#base(b).value;
    for (const rt of this.#runtimes()) {
      if (rt.roundTrip.side === null) continue;
      const mark = rt.history.at(-1)?.close;
      eq = eq.plus(rt.roundTrip.markToMarket(mark === undefined ? rt.roundTrip.entryPrice : dec(mark)));
    }
    return eq;
  }

  /** Measured at every candle close while a trade is open: the booked part is parsed once per change. */
  #base(b: { readonly startEquity: string; readonly realisedPnl: string }): { readonly value: Decimal; readonly num: number } {
    let base = this.#booked;
    if (base === null || base.start !== b.startEquity || base.realised !== b.realisedPnl) {
      const value = dec(b.startEquity).plus(dec(b.realisedPnl));
      base = { start: b.startEquity, realised: b.realisedPnl, value, num: value.toNumber() };
      this.#booked = base;
    }
    return base;
  }

  /**
   * A candle closed with an open trade and nothing else due (not the hour's record, kill switch
   * off): the bot's equity in doubles, when it is clearly below the peak (measure would not move
   * it), else NaN; NOTHING_DUE when flat (onCandle would return null). Its error is below `tolerance`. The risk gate then needs no Decimal at all
   * while the equity is far from its limits, which it is at nearly every candle.
   */
  steadyEquity(now: number): number {
    if (Math.floor(now / HOUR_MS) !== this.#lastHour || (this.#ctx.settings().risk.killSwitchDrawdownPct ?? null) !== null) return NaN;
    let eq = 0;
    let scale = 0;
    let open = false;
    for (const rt of this.#runtimes()) {
      if (rt.roundTrip.side === null) continue;
      const mark = rt.history.at(-1)?.close;
      if (mark === undefined) return NaN;
      open = true;
      eq += rt.roundTrip.approxMarkToMarket(mark);
      scale += rt.roundTrip.approxScale(mark);
    }
    // Flat: onCandle would measure nothing either.
    if (!open) return NOTHING_DUE;
    const b = this.#ctx.store.state.botEquity;
    if (!b) return NaN;
    const base = this.#base(b).num;
    eq += base;
    scale += Math.abs(base);
    if (!Number.isFinite(eq)) return NaN;
    const tolerance = 1e-12 * scale;
    const peak = this.#peakOf(b.peak);
    if (!(eq + tolerance < peak - 1e-12 * Math.abs(peak))) return NaN;
    this.#tolerance = tolerance;
    return eq;
  }

  /** A bound on the error of steadyEquity's last answer (far above the doubles' own). */
  get tolerance(): number {
    return this.#tolerance;
  }

  #peakOf(text: string): number {
    if (this.#peakNumText !== text) {
      this.#peakNumText = text;
      this.#peakNum = Number(text);
    }
    return this.#peakNum;
  }

  /** The drawdown from the peak, percent, with the figures for a message; null before the start. */
  drawdown(eq: Decimal | null = this.equity()): { readonly equity: Decimal; readonly peak: Decimal; readonly pct: Decimal } | null {
    const b = this.#ctx.store.state.botEquity;
    if (!b || eq === null) return null;
    const peak = dec(b.peak);
    return { equity: eq, peak, pct: peak.lte(0) ? dec(0) : peak.minus(eq).div(peak).mul(100) };
  }

  /** Why the kill switch would fire at the equity now (or `eq`, just measured), else null: off, or not crossed. */
  breach(eq?: Decimal): string | null {
    const limit = this.#ctx.settings().risk.killSwitchDrawdownPct ?? null;
    // Off (the default): no Decimal drawdown to work out at every measurement.
    if (limit === null) return null;
    const dd = this.drawdown(eq ?? this.equity());
    if (dd === null || dd.pct.lt(limit)) return null;
    return `the bot's equity ${dd.equity.toFixed(2)} USDT is ${dd.pct.toFixed(2)} % below its peak ${dd.peak.toFixed(2)} USDT (kill switch at ${limit} %)`;
  }

  /** `resume --reset-peak`: the equity now becomes the peak the drawdown is measured from. */
  resetPeak(): void {
    const eq = this.equity();
    if (eq === null) return;
    const now = this.#ctx.now();
    this.#ctx.store.update((d) => {
      d.botEquity!.peak = money(eq.toDecimalPlaces(8));
      d.botEquity!.peakAtMs = now;
    });
  }

  /**
   * The bot's equity now: its peak follows it, `write` journals it, and the kill switch fires when
   * it is set and crossed. Null before the start.
   */
  measure(now: number, write = false): Decimal | null {
    const eq = this.equity();
    if (eq === null) return null;
    const b = this.#ctx.store.state.botEquity!;
    if (this.#peak === null || this.#peakText !== b.peak) {
      this.#peakText = b.peak;
      this.#peak = dec(b.peak);
    }
    if (eq.gt(this.#peak)) {
      this.#ctx.store.update((d) => {
        d.botEquity!.peak = money(eq.toDecimalPlaces(8));
        d.botEquity!.peakAtMs = now;
      });
    }
    if (write) {
      if (this.#written !== eq) {
        this.#written = eq;
        this.#writtenText = money(eq.toDecimalPlaces(8));
      }
      this.#ledger.write({ type: 'equity', ts: now, equity: this.#writtenText, source: 'bot' });
    }
    const lock = this.#ctx.store.state.protections.killSwitch;
    if (lock !== null && (lock.untilMs === null || lock.untilMs > now)) return eq;
    const breach = this.breach(eq);
    if (breach !== null) this.#fire(breach);
    return eq;
  }

  #runtimes(): readonly SymbolRuntime[] {
    if (this.#list.length === 0) this.#list = [...this.#symbols()];
    return this.#list;
  }

  /** The bot holds an open trade in some symbol. */
  #exposed(): boolean {
    for (const rt of this.#runtimes()) if (rt.roundTrip.side !== null) return true;
    return false;
  }
}
