/**
 * The bot's own equity and the kill switch on it (hummingbot's kill switch, freqtrade's
 * protections). The bot's equity is the account equity when the bot first saw it, plus the net PnL
 * of its closed trades since, plus what its open trades would book if closed at the last close
 * (partial exits and every fee paid included): what the bot made or lost, whatever else the
 * account does. It is written to the journal as an `equity` record (source `bot`) every hour of
 * market time and at each close, which is what `status` computes drawdown, Sharpe and Sortino from.
 *
 * With `risk.killSwitchDrawdownPct` set, a fall of that much below the peak fires the kill switch
 * (the Engine cancels the bot's orders, closes its positions at market and locks entries until a
 * person runs `resume --reset-peak`). Measured at every candle close and every closed trade; unset,
 * only the hourly record is computed.
 */
import { dec, money, type Decimal } from '../domain/money.js';
import type { EngineContext } from './engineContext.js';
import type { LedgerWriter } from './ledgerWriter.js';
import type { SymbolRuntime } from './symbolRuntime.js';

const HOUR_MS = 3_600_000;

export class KillSwitch {
  readonly #ctx: EngineContext;
  readonly #ledger: LedgerWriter;
  readonly #symbols: () => Iterable<SymbolRuntime>;
  readonly #fire: (reason: string) => void;
  #lastHour = -1;

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
    this.#measure(now, true);
  }

  /** A candle closed: the hourly record, and the limit when it is set. Cheap when neither is due. */
  onCandle(now: number): void {
    const hour = Math.floor(now / HOUR_MS);
    const hourly = hour !== this.#lastHour;
    const limit = this.#ctx.settings().risk.killSwitchDrawdownPct ?? null;
    if (!hourly && limit === null) return;
    if (hourly) this.#lastHour = hour;
    this.#measure(now, hourly);
  }

  /** The bot's equity now; null before it has been started. */
  equity(): Decimal | null {
    const b = this.#ctx.store.state.botEquity;
    if (!b) return null;
    let eq = dec(b.startEquity).plus(dec(b.realisedPnl));
    for (const rt of this.#symbols()) {
      if (rt.roundTrip.side === null) continue;
      const mark = rt.history.at(-1)?.close;
      eq = eq.plus(rt.roundTrip.markToMarket(mark === undefined ? rt.roundTrip.entryPrice : dec(mark)));
    }
    return eq;
  }

  /** The drawdown from the peak, percent, with the figures for a message; null before the start. */
  drawdown(): { readonly equity: Decimal; readonly peak: Decimal; readonly pct: Decimal } | null {
    const b = this.#ctx.store.state.botEquity;
    const eq = this.equity();
    if (!b || eq === null) return null;
    const peak = dec(b.peak);
    return { equity: eq, peak, pct: peak.lte(0) ? dec(0) : peak.minus(eq).div(peak).mul(100) };
  }

  /** Why the kill switch would fire now (the limit is set and crossed), else null. */
  breach(): string | null {
    const limit = this.#ctx.settings().risk.killSwitchDrawdownPct ?? null;
    // Off (the default): no Decimal drawdown to work out at every hourly record.
    if (limit === null) return null;
    const dd = this.drawdown();
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

  #measure(now: number, write: boolean): void {
    const eq = this.equity();
    if (eq === null) return;
    const b = this.#ctx.store.state.botEquity!;
    if (eq.gt(dec(b.peak))) {
      this.#ctx.store.update((d) => {
        d.botEquity!.peak = money(eq.toDecimalPlaces(8));
        d.botEquity!.peakAtMs = now;
      });
    }
    if (write) this.#ledger.write({ type: 'equity', ts: now, equity: money(eq.toDecimalPlaces(8)), source: 'bot' });
    const lock = this.#ctx.store.state.protections.killSwitch;
    if (lock !== null && (lock.untilMs === null || lock.untilMs > now)) return;
    const breach = this.breach();
    if (breach !== null) this.#fire(breach);
  }
}
