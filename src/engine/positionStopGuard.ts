/**
 * A position's stop, set the moment the exchange shows the position without one (a position push,
 * or the REST catch-up after a stream outage), without waiting for the symbol's turn. That turn can
 * be held for tens of seconds by one order call Bybit is slow to answer (a quote create that times
 * out, is retried and looked up: the restart soak of issue 15 found inventory bare for 20-50 s
 * behind such calls), and the position must not wait for it.
 *
 * The market maker's inventory gets its stop from the exchange's own side and entry price. Any
 * other position (the scalper's, one opened by hand, one whose stop was removed) gets the stop the
 * bot planned for it, or fallbackStopPct from its entry when it has none, as the reconciliation
 * would give it a minute later; that is worth an alert.
 *
 * Only the trading-stop call is made here (sent a second time when the first is not answered
 * within 1.5 s). Anything that needs the turn goes to the turn (PositionManager.protectPosition):
 * a stop the market has already passed (it closes the position at market), and any refusal or
 * failure (it retries, or says why). One call per symbol at a time; a push meanwhile is looked at
 * when it ends.
 */
import { ExchangeError, refusedForZeroPosition } from '../domain/exchangeErrors.js';
import { dec, money, toPrice, type Decimal } from '../domain/money.js';
import type { Position } from '../domain/types.js';
import type { EngineContext } from './engineContext.js';
import type { TradingStopRequest } from './exchangePort.js';
import { makerInventoryStop, stopBeyondPrice } from './positionPlan.js';
import { localPosition, type SymbolRuntime } from './symbolRuntime.js';

/** An exchange position that is open with neither a stop loss nor a trailing stop. */
export function stopMissing(ex: Position): boolean {
  return ex.side !== null && ex.size.gt(0) && ex.stopLoss === null && ex.trailingStop === null;
}

/** A maker whose exchange position is open with neither a stop loss nor a trailing stop. */
export function makerStopMissing(rt: SymbolRuntime, ex: Position): boolean {
  return rt.settings.strategy === 'maker' && stopMissing(ex);
}

/**
 * A trading stop not answered this long is sent once more alongside (the same stop: setting it
 * twice is harmless): one request Bybit leaves unanswered would otherwise hold the inventory bare
 * for the whole request timeout (5-10 s), and the restart soak found exactly that.
 */
const HEDGE_AFTER_MS = 1_500;

export class PositionStopGuard {
  readonly #ctx: EngineContext;
  /** Queues the turn's own protection of the symbol's position. */
  readonly #inTurn: (rt: SymbolRuntime) => void;
  readonly #busy = new Set<string>();
  readonly #again = new Set<string>();

  constructor(ctx: EngineContext, inTurn: (rt: SymbolRuntime) => void) {
    this.#ctx = ctx;
    this.#inTurn = inTurn;
  }

  /** The exchange's newest view of the position (already in `rt.exchangePosition`). */
  onPosition(rt: SymbolRuntime, ex: Position): void {
    if (!stopMissing(ex) || this.#ctx.stopping()) return;
    const sym = rt.settings.symbol;
    if (this.#busy.has(sym)) {
      this.#again.add(sym);
      return;
    }
    this.#busy.add(sym);
    void this.#protect(rt, ex).finally(() => {
      this.#busy.delete(sym);
      const now = rt.exchangePosition;
      if (this.#again.delete(sym) && now !== null) this.onPosition(rt, now);
    });
  }

  /** Resolves with the first of the two requests that succeeds; rejects with the last failure when both fail. */
  #sendHedged(req: TradingStopRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let pending = 1;
      let settled = false;
      const send = (): void => {
        this.#ctx.port.setTradingStop(req).then(
          () => {
            settled = true;
            clearTimeout(timer);
            resolve();
          },
          (e: unknown) => {
            if (--pending > 0 || settled) return;
            settled = true;
            clearTimeout(timer);
            reject(e);
          },
        );
      };
      const timer = setTimeout(() => {
        if (settled || this.#ctx.stopping()) return;
        pending++;
        send();
      }, HEDGE_AFTER_MS);
      timer.unref();
      send();
    });
  }

  /** The stop for a position shown without one; null when there is nothing to set (no instrument yet, no maker stop configured). */
  #stopFor(rt: SymbolRuntime, ex: Position): Decimal | null {
    if (ex.side === null || !rt.instrument) return null;
    if (rt.settings.strategy === 'maker') {
      const pct = rt.settings.protectiveStopPct;
      return pct === undefined ? null : makerInventoryStop(ex.side, ex.entryPrice, pct, rt.instrument.tickSize);
    }
    const pos = localPosition(this.#ctx.store, rt);
    if (pos !== null && pos.side === ex.side && pos.stop !== null) return dec(pos.stop.price);
    return makerInventoryStop(ex.side, ex.entryPrice, this.#ctx.settings().fallbackStopPct, rt.instrument.tickSize);
  }

  async #protect(rt: SymbolRuntime, ex: Position): Promise<void> {
    const stop = this.#stopFor(rt, ex);
    if (stop === null || ex.side === null) return;
    const sym = rt.settings.symbol;
    const maker = rt.settings.strategy === 'maker';
    // The market is already beyond it: what to do then (close at market) is the turn's to decide.
    if (rt.lastPrice !== null && stopBeyondPrice(ex.side, stop, toPrice(rt.lastPrice))) return this.#inTurn(rt);
    try {
      await this.#sendHedged({ symbol: sym, stopLoss: stop });
    } catch (e) {
      const err = e instanceof ExchangeError ? e : new ExchangeError(String(e), 'retryable');
      const why = refusedForZeroPosition(err) ? 'the position is not there yet or already closed' : 'Bybit did not take it';
      this.#ctx.logger.info(`${sym} ${maker ? 'maker inventory' : 'position'} stop not set at once (${why}); tried again in the symbol's turn`, { retCode: err.retCode, message: err.retMsg ?? err.message });
      return this.#inTurn(rt);
    }
    const what = `${ex.side} ${ex.size.toFixed()} @ ${ex.entryPrice.toFixed()}`;
    if (maker) this.#ctx.logger.info(`${sym} maker inventory ${what}: stop set at ${stop.toFixed()}`);
    else {
      this.#ctx.logger.warn(`${sym} position ${what} had no stop on the exchange: stop set at ${stop.toFixed()}`);
      this.#ctx.alert('critical', 'reconcile', `${sym} had no stop`, `Placed a stop at ${stop.toFixed()}.`, sym);
    }
    this.#ctx.store.update((d) => {
      const p = d.symbols[sym]?.position;
      if (p && p.side === ex.side) p.stop = { price: money(stop), orderLinkId: null, orderId: null };
    });
  }
}
