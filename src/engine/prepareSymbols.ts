/**
 * Start-up's first exchange step for the symbols the engine trades: their trading rules, a check
 * that Bybit trades them, and their leverage (issue 20 item 4). Done before any reconciliation, so
 * nothing is sized or sent for a symbol Bybit does not trade.
 */
import { ExchangeError } from '../domain/exchangeErrors.js';
import { dec } from '../domain/money.js';
import type { ExchangePort } from './exchangePort.js';
import type { SymbolRuntime } from './symbolRuntime.js';

/** Loads each runtime's instrument, refuses one that is not Trading (naming `symbols[i].symbol`), sets its leverage. */
export async function prepareSymbols(port: ExchangePort, runtimes: readonly SymbolRuntime[], configured: readonly { readonly symbol: string }[]): Promise<void> {
  const instruments = await port.loadInstruments(runtimes.map((rt) => rt.settings.symbol));
  for (const rt of runtimes) {
    const sym = rt.settings.symbol;
    rt.instrument = instruments.get(sym) ?? null;
    if (!rt.instrument) throw new ExchangeError(`no trading rules for ${sym}`, 'fatal');
    // PreLaunch, Delivering, Closed: Bybit's status says the symbol cannot be traded.
    const status = rt.instrument.status;
    if (status !== undefined && status !== 'Trading') {
      const i = configured.findIndex((s) => s.symbol === sym);
      throw new ExchangeError(`symbols[${i}].symbol ${sym} is ${status} on Bybit, not Trading: remove it from config.json or set its "enabled" to false`, 'fatal');
    }
    await port.setLeverage(sym, dec(rt.settings.leverage));
  }
}
