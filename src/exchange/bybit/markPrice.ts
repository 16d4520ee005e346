/**
 * Bybit's mark price for a linear symbol from the public `GET /v5/market/tickers` (no key needed),
 * for `status` to show unrealised PnL. Numbers are strings on the wire (reference section 3).
 */
import * as v from 'valibot';
import { dec, type Decimal } from '../../domain/money.js';

const TickerResponse = v.object({
  retCode: v.number(),
  retMsg: v.string(),
  result: v.object({ list: v.array(v.object({ symbol: v.string(), markPrice: v.pipe(v.string(), v.regex(/^\d+(\.\d+)?$/)) })) }),
});

export class MarkPriceError extends Error {
  override name = 'MarkPriceError';
}

export async function fetchMarkPrice(baseUrl: string, symbol: string, timeoutMs = 3000): Promise<Decimal> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v5/market/tickers?category=linear&symbol=${encodeURIComponent(symbol)}`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    body = await response.json();
  } catch (e) {
    throw new MarkPriceError(`GET ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = v.safeParse(TickerResponse, body);
  if (!parsed.success) throw new MarkPriceError(`GET ${url}: unexpected answer`);
  if (parsed.output.retCode !== 0) throw new MarkPriceError(`GET ${url}: retCode ${parsed.output.retCode} ${parsed.output.retMsg}`);
  const row = parsed.output.result.list.find((r) => r.symbol === symbol);
  if (!row) throw new MarkPriceError(`GET ${url}: no ticker for ${symbol}`);
  return dec(row.markPrice);
}
