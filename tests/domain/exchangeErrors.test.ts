/**
 * The refusals the engine acts on, read from Bybit's own texts. Real answers come from
 * tests/fixtures/bybit-real (each entry names its source); the others are the wordings the sandbox
 * and Bybit's docs use.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExchangeError, refusedForZeroPosition, refusedStopBeyondPrice } from '../../src/domain/exchangeErrors.js';

interface Entry {
  readonly name: string;
  readonly source: string;
  readonly response: { readonly retCode: number; readonly retMsg: string };
}
const errors = (JSON.parse(readFileSync(new URL('../fixtures/bybit-real/errors.json', import.meta.url), 'utf8')) as { entries: Entry[] }).entries;
const real = (name: RegExp): Entry => errors.find((e) => name.test(e.name))!;
const refusal = (retCode: number, retMsg: string): ExchangeError => new ExchangeError(`POST /v5/order/create: Bybit retCode ${retCode}: ${retMsg}`, 'rejected', retCode, retMsg);

describe('refusedStopBeyondPrice', () => {
  it('recognises the real Sell wording, which has no "than" (ccxt#19089: an entry\'s attached stop)', () => {
    const e = real(/stop-loss above entry for a Sell position/);
    expect(e.source).toMatch(/ccxt\/ccxt\/issues\/19089/);
    expect(e.response.retMsg).toBe('sl:257970000 set for Sell position should greater base_price:259477000??LastPrice');
    expect(refusedStopBeyondPrice(refusal(e.response.retCode, e.response.retMsg))).toBe(true);
  });

  it('recognises the trading-stop wordings of both sides, scaled or not', () => {
    // Issue 20: a real trading-stop answer for a short, prices scaled by Bybit.
    expect(refusedStopBeyondPrice(refusal(10001, 'StopLoss:17686000 set for Sell position should greater base_price:18334000??LastPrice'))).toBe(true);
    expect(refusedStopBeyondPrice(refusal(10001, 'StopLoss:105978.6 set for Sell position should greater base_price:105992??LastPrice'))).toBe(true);
    expect(refusedStopBeyondPrice(refusal(10001, 'StopLoss:105978.6 set for Buy position should lower than base_price:105970??LastPrice'))).toBe(true);
  });

  it('never takes the take-profit, liquidation-range or other 10001 texts for a stop beyond the price', () => {
    expect(refusedStopBeyondPrice(refusal(10001, 'TakeProfit:98000 set for Buy position should be higher than base_price:99000??LastPrice'))).toBe(false);
    expect(refusedStopBeyondPrice(refusal(10001, 'TakeProfit:101000 set for Sell position should be lower than base_price:100000??LastPrice'))).toBe(false);
    expect(refusedStopBeyondPrice(refusal(10001, 'StopLoss:90000 set for Buy position should be between liq_price:85000 and base_price:100000??LastPrice'))).toBe(false);
    expect(refusedStopBeyondPrice(refusal(10001, real(/conditional stop trigger/).response.retMsg))).toBe(false);
    expect(refusedStopBeyondPrice(refusal(110017, 'StopLoss:1 set for Buy position should lower than base_price:0'))).toBe(false);
  });
});

describe('refusedForZeroPosition', () => {
  it('recognises V5 110017 (the real text), the trading-stop text, and the pre-V5 130125 text', () => {
    const e = real(/110017/);
    expect(e.response.retMsg).toBe('Reduce-only rule not satisfied');
    expect(refusedForZeroPosition(refusal(e.response.retCode, e.response.retMsg))).toBe(true);
    expect(refusedForZeroPosition(refusal(10001, 'can not set tp/sl/ts for zero position'))).toBe(true);
    // bybit-api#193 (2022): the code and text from before V5.
    expect(refusedForZeroPosition(refusal(130125, 'current position is zero, cannot fix reduce-only order qty'))).toBe(true);
    expect(refusedForZeroPosition(refusal(10001, 'current position is zero, cannot fix reduce-only order qty'))).toBe(true);
    expect(refusedForZeroPosition(refusal(10001, 'Qty invalid'))).toBe(false);
  });
});
