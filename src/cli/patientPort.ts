/**
 * The exchange as the engine sees it in a running bot: the same port, with its reads (and the
 * idempotent leverage setting) going through Patience, so that a transient failure during the
 * engine's start (instruments, leverage, reconciliation, fill catch-up) or a warm-up read waits and
 * retries instead of ending the process (issue 15 item 1). A position's trading stop goes through
 * it too: setting the same stop again is harmless, and a position must not stay without one because
 * of a 503 (the restart soak found the reconciliation's stop lost to a timeout). Orders,
 * amendments and cancels are passed through untouched: the engine's order sender decides about
 * those itself (it looks a create up by orderLinkId before repeating it), and `subscribe` never
 * fails on a transient error (its streams reconnect on their own).
 */
import type { ExchangePort } from '../engine/exchangePort.js';
import type { Patience } from './patience.js';

/** The start-up steps, in words, as the log line and the notification name them. */
export const STEP = {
  // Loading the instruments with keys also reads the account's margin and position mode (its position list).
  instruments: 'instruments and account modes',
  leverage: 'leverage',
  balance: 'balance',
  reconciliation: 'reconciliation',
  fillCatchUp: 'fill catch-up',
  warmUp: 'warm-up',
  stop: 'protective stop',
  fees: 'fee rates',
} as const;

export function patientPort(port: ExchangePort, patience: Patience): ExchangePort {
  // Only the reads that wait are written out; every other member (orders, cancels, subscribe, the
  // spread guard's book read, the newest instrument rules, and whatever the port gains later) is
  // the port's own, so a new ExchangePort method can never be dropped here by omission.
  const waiting: Partial<ExchangePort> = {
    loadInstruments: (symbols) => patience.run(STEP.instruments, () => port.loadInstruments(symbols)),
    fetchBalance: () => patience.run(STEP.balance, () => port.fetchBalance()),
    fetchPositions: (symbols) => patience.run(STEP.reconciliation, () => port.fetchPositions(symbols)),
    fetchOpenOrders: (symbol) => patience.run(STEP.reconciliation, () => port.fetchOpenOrders(symbol)),
    // At runtime a failed look-up is the order sender's to count ("lost" after several): not stretched here.
    fetchOrder: (symbol, linkId) => patience.run(STEP.reconciliation, () => port.fetchOrder(symbol, linkId), { startupOnly: true }),
    // Fee rates: the engine keeps the last known ones on failure, so only the start waits for them.
    ...(port.fetchFeeRates ? { fetchFeeRates: (symbols: readonly string[]) => patience.run(STEP.fees, () => port.fetchFeeRates!(symbols), { startupOnly: true }) } : {}),
    fetchFills: (symbol, sinceMs) => patience.run(STEP.fillCatchUp, () => port.fetchFills(symbol, sinceMs)),
    fetchCandles: (symbol, interval, sinceMs, limit) => patience.run(STEP.warmUp, () => port.fetchCandles(symbol, interval, sinceMs, limit)),
    setLeverage: (symbol, leverage) => patience.run(STEP.leverage, () => port.setLeverage(symbol, leverage)),
    setTradingStop: (request) => patience.run(STEP.stop, () => port.setTradingStop(request)),
  };
  return new Proxy(port, {
    get(target, key) {
      if (Object.hasOwn(waiting, key)) return waiting[key as keyof ExchangePort];
      const value: unknown = Reflect.get(target, key, target);
      // Bound to the port itself: its methods use private fields, which a proxy receiver lacks.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
