/**
 * Bybit's mark price for a linear symbol from the public `GET /v5/market/tickers` (no key needed),
 * for `status` to show unrealised PnL. Numbers are strings on the wire (reference section 3).
 */
import * as v from 'valibot';
import { dec, type Decimal } from '../../domain/money.js';
import { httpFetch } from '../../util/httpFetch.js';

/** The envelope is read first, so a refusal shows Bybit's retCode and retMsg, not a shape complaint. */
const Envelope = v.object({ retCode: v.number(), retMsg: v.optional(v.nullable(v.string()), ''), result: v.unknown() });

const TickerResult = v.object({
  list: v.array(
    v.object({
      symbol: v.string(),
      // A mark price of 0 is no price: it would show the whole position as lost (issue 11, bad input).
      markPrice: v.pipe(v.string(), v.regex(/^\d+(\.\d+)?$/, 'must be a decimal number'), v.check((s) => Number(s) > 0, 'must be positive')),
    }),
  ),
});

function issuesText(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path?.map((p) => String(p.key)).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

export class MarkPriceError extends Error {
  override name = 'MarkPriceError';
}

export async function fetchMarkPrice(baseUrl: string, symbol: string, timeoutMs = 3000): Promise<Decimal> {
  const url = `${baseUrl.replace(/\/+$/, '')}/v5/market/tickers?category=linear&symbol=${encodeURIComponent(symbol)}`;
  let text: string;
  let status: number;
  try {
    const response = await httpFetch(url, { timeout: timeoutMs });
    status = response.status;
    text = await response.text();
  } catch (e) {
    throw new MarkPriceError(`GET ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const sample = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
    throw new MarkPriceError(`GET ${url}: HTTP ${status}, the answer is not JSON${sample === '' ? ' (empty)' : `: ${sample}`}`);
  }
  const envelope = v.safeParse(Envelope, body);
  if (!envelope.success) throw new MarkPriceError(`GET ${url}: HTTP ${status}, unexpected answer (${issuesText(envelope.issues)})`);
  if (envelope.output.retCode !== 0) throw new MarkPriceError(`GET ${url}: retCode ${envelope.output.retCode} ${envelope.output.retMsg ?? ''}`.trimEnd());
  const parsed = v.safeParse(TickerResult, envelope.output.result);
  if (!parsed.success) throw new MarkPriceError(`GET ${url}: unexpected ticker (${issuesText(parsed.issues)})`);
  const row = parsed.output.list.find((r) => r.symbol === symbol);
  if (!row) throw new MarkPriceError(`GET ${url}: no ticker for ${symbol}`);
  return dec(row.markPrice);
}
