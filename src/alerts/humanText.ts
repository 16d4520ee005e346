/**
 * Notification text is read by a person: the engine's internal names (`stopLoss`, `dailyLoss`)
 * become words before an alert leaves the router, and money shown in the ongoing status is in
 * cents. Only whole known words are replaced, so JSON paths in a config error stay as written.
 */
import { dec } from '../domain/money.js';
import { PROTECTION_WORDS } from '../domain/persistedState.js';

const WORDS: Readonly<Record<string, string>> = {
  stopLoss: 'stop loss',
  takeProfit: 'take profit',
  trailingStop: 'trailing stop',
  timeExit: 'time exit',
  endOfData: 'end of data',
  lossStreak: 'loss streak',
  closeAll: 'close-all',
  ...PROTECTION_WORDS,
};

const PATTERN = new RegExp(`(?<![\\w.\\[])(${Object.keys(WORDS).join('|')})(?![\\w.\\]])`, 'g');

/** `Entries stopped: dailyLoss` → `Entries stopped: daily loss limit`. */
export function humanText(text: string): string {
  return text.replace(PATTERN, (w) => WORDS[w] ?? w);
}

/** A decimal amount of money as a person reads it: cents, with its sign (`+0.23`, `-1.50`, `0.00`). */
export function signedCents(amount: string): string {
  let d;
  try {
    d = dec(amount).toDecimalPlaces(2);
  } catch {
    return amount;
  }
  const s = d.toFixed(2);
  return d.gt(0) ? `+${s}` : d.isZero() ? '0.00' : s;
}
