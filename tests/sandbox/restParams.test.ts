/** How a REST route reads its parameters: Bybit's 10001 wording for missing and malformed fields. */
import { describe, expect, it } from 'vitest';
import { MISSING, ParamError, bool, clearable, decimal, instrumentOf, int, linear, need, page, str } from '../../src/sandbox/restParams.js';
import { simInstrument } from '../../src/sim/instruments.js';

/** The error a reader throws, so its message and code can be compared. */
function thrown(f: () => unknown): ParamError {
  try {
    f();
  } catch (e) {
    if (e instanceof ParamError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('parameter readers', () => {
  it('treat absent, null and "" alike, and take numbers and booleans as their text', () => {
    expect(str({}, 'a')).toBeUndefined();
    expect(str({ a: null }, 'a')).toBeUndefined();
    expect(str({ a: '' }, 'a')).toBeUndefined();
    expect(str({ a: 5 }, 'a')).toBe('5');
    expect(str({ a: true }, 'a')).toBe('true');
    expect(thrown(() => str({ a: { x: 1 } }, 'a')).message).toBe('params error: a invalid');
  });

  it('answer a missing required field with the Bybit sentence, code 10001', () => {
    const e = thrown(() => need({}, 'symbol'));
    expect(e.message).toBe(MISSING);
    expect(e.code).toBe(10001);
  });

  it('read booleans the ways clients send them', () => {
    for (const v of [true, 'true', 1, '1']) expect(bool({ r: v }, 'r')).toBe(true);
    for (const v of [false, 'false', 0, '0', 'yes', undefined]) expect(bool({ r: v }, 'r')).toBe(false);
  });

  it('bound integers and fall back to the default when absent', () => {
    expect(int({}, 'limit', 20, 1, 50)).toBe(20);
    expect(int({ limit: '50' }, 'limit', 20, 1, 50)).toBe(50);
    expect(thrown(() => int({ limit: '51' }, 'limit', 20, 1, 50)).message).toBe('params error: limit invalid');
    expect(thrown(() => int({ limit: '1.5' }, 'limit', 20, 1, 50)).message).toBe('params error: limit invalid');
  });

  it('take decimals as plain non-negative digits only; "0" clears a price field', () => {
    expect(decimal({ qty: '0.010' }, 'qty')!.toString()).toBe('0.01');
    for (const bad of ['-1', '1e3', '.5', '1.', 'abc']) expect(thrown(() => decimal({ qty: bad }, 'qty')).message, bad).toBe('params error: qty invalid');
    expect(clearable({ stopLoss: '0' }, 'stopLoss'), '"0" means clear (reference section 3)').toBeNull();
    expect(clearable({}, 'stopLoss')).toBeUndefined();
    expect(clearable({ stopLoss: '25000.5' }, 'stopLoss')!.toString()).toBe('25000.5');
  });

  it('accept only the linear category, and only listed symbols', () => {
    expect(() => linear({ category: 'linear' })).not.toThrow();
    expect(thrown(() => linear({})).message).toBe(MISSING);
    expect(thrown(() => linear({ category: 'spot' })).message).toBe('Illegal category');
    const btc = simInstrument('BTCUSDT');
    const book = { hasSymbol: (s: string) => s === 'BTCUSDT', instrument: () => btc };
    expect(instrumentOf({ symbol: 'BTCUSDT' }, book)).toBe(btc);
    expect(thrown(() => instrumentOf({ symbol: 'DOGEUSDT' }, book)).message).toBe('params error: symbol invalid');
  });

  it('page by limit and a cursor naming the next offset; the last page has an empty cursor', () => {
    const items = [1, 2, 3, 4, 5];
    const first = page(items, { limit: '2' }, 20, 50);
    expect(first).toEqual({ list: [1, 2], nextPageCursor: 'p2' });
    const second = page(items, { limit: '2', cursor: first.nextPageCursor }, 20, 50);
    expect(second).toEqual({ list: [3, 4], nextPageCursor: 'p4' });
    expect(page(items, { limit: '2', cursor: 'p4' }, 20, 50)).toEqual({ list: [5], nextPageCursor: '' });
    expect(thrown(() => page(items, { cursor: 'abc' }, 20, 50)).message).toBe('params error: cursor invalid');
  });
});
