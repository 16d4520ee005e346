/**
 * The exchange port, telling `onCandle` of every candle its stream delivers (the mirror account's
 * first confirmed candle after a start, and the last price). Everything else is the port's own.
 */
import type { ExchangePort } from '../engine/exchangePort.js';

export function watchCandles(port: ExchangePort, onCandle: (symbol: string, close: number, confirmed: boolean) => void): ExchangePort {
  return new Proxy(port, {
    get(target, key) {
      if (key === 'subscribe') {
        const subscribe: ExchangePort['subscribe'] = (markets, events) =>
          target.subscribe(markets, {
            ...events,
            onCandle: (symbol, interval, candle, confirmed) => {
              onCandle(symbol, candle.close, confirmed);
              events.onCandle?.(symbol, interval, candle, confirmed);
            },
          });
        return subscribe;
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
