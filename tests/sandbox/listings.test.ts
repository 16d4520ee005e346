/**
 * Rows the sandbox lists but does not replay (SandboxOptions.listings): recorded real Bybit answers
 * (tests/fixtures/bybit-real) served next to the replayed symbols, as a scan of all of Bybit sees them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListedInstrument, TickerFields } from '../../src/sandbox/marketData.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/startSandbox.js';

const BTC = fileURLToPath(new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url));
const ETH = fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url));

function entry(file: string, name: string): unknown {
  const doc = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/bybit-real/${file}`, import.meta.url)), 'utf8')) as { entries: { name: string; response: unknown }[] };
  return doc.entries.find((e) => e.name === name)!.response;
}
const PRELAUNCH = (entry('market-instruments-info.json', 'docs linear instruments #2 [linear] BIOUSDT status PreLaunch') as { result: { list: ListedInstrument[] } }).result.list[0]!;
const FUTURE = (entry('ws-public.json', 'docs tickers topic #2 [linear] tickers.BTC-26DEC25 snapshot') as { data: TickerFields }).data;

let sb: Sandbox;
async function result(path: string): Promise<{ retCode: number; result: { list: Record<string, unknown>[]; nextPageCursor?: string } }> {
  return (await (await fetch(`${sb.restUrl}${path}`)).json()) as never;
}

beforeAll(async () => {
  sb = await startSandbox({ data: [BTC, ETH], listings: { instruments: [PRELAUNCH], tickers: [FUTURE] } });
});
afterAll(async () => {
  await sb.close();
});

describe('listed-only rows', () => {
  it('tickers lists the replayed symbols and then the recorded rows as recorded; one is served alone when asked for', async () => {
    const all = await result('/v5/market/tickers?category=linear');
    expect(all.result.list.map((t) => t['symbol'])).toEqual(['BTCUSDT', 'ETHUSDT', 'BTC-26DEC25']);
    expect(all.result.list[2]).toEqual(FUTURE);
    const one = await result('/v5/market/tickers?category=linear&symbol=BTC-26DEC25');
    expect(one.result.list).toEqual([FUTURE]);
  });

  it('instruments-info answers Trading symbols by default and the pre-launch one only with status=PreLaunch', async () => {
    const trading = await result('/v5/market/instruments-info?category=linear');
    expect(trading.result.list.map((i) => i['symbol'])).toEqual(['BTCUSDT', 'ETHUSDT']);
    const pre = await result('/v5/market/instruments-info?category=linear&status=PreLaunch');
    expect(pre.result.list).toEqual([PRELAUNCH]);
  });
});
