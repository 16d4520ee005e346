/**
 * The live adapter against the sandbox set up as real accounts answer (issue 20 items 3 and 4):
 * isolated margin's empty totals and a cross account's empty totalAvailableBalance are read from the
 * USDT coin, never as 0; hedge mode is refused at start-up with how to switch; a symbol that leaves
 * Trading opens nothing more while exits still go out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import { ExchangeError } from '../../../src/domain/exchangeErrors.js';
import { createBybitExchange, type BybitExchange } from '../../../src/exchange/bybit/bybitExchange.js';
import { fixedSigningClock } from '../../../src/exchange/bybit/signingClock.js';
import type { AccountSettingsInput } from '../../../src/sandbox/accountSettings.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, startSandbox, type Sandbox } from '../../../src/sandbox/startSandbox.js';
import { recordingLogger, type RecordingLogger } from '../../badInput/recordingLogger.js';

const DATA = new URL('../../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname;
let sandbox: Sandbox | null = null;
let exchange: BybitExchange | null = null;
afterEach(async () => {
  await exchange?.close();
  await sandbox?.close();
  exchange = null;
  sandbox = null;
});

async function connect(account: AccountSettingsInput): Promise<{ ex: BybitExchange; s: Sandbox; log: RecordingLogger }> {
  sandbox = await startSandbox({ data: [DATA], account });
  const log = recordingLogger();
  exchange = createBybitExchange({ network: 'testnet', restUrl: sandbox.restUrl, credentials: { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET }, clock: fixedSigningClock(), logger: log, instrumentRefreshMs: 0 });
  return { ex: exchange, s: sandbox, log };
}

const entry = (orderLinkId: string, reduceOnly = false) =>
  ({ symbol: 'BTCUSDT', side: 'buy', type: 'market', qty: dec('0.001'), price: null, timeInForce: 'IOC', reduceOnly, orderLinkId, stopLoss: null, takeProfit: null }) as const;

describe('the adapter against the sandbox’s account modes', () => {
  it('isolated margin: equity and available from the USDT coin (10000), not 0; the margin mode is logged at start-up', async () => {
    const { ex, log } = await connect({ marginMode: 'ISOLATED_MARGIN' });
    await ex.loadInstruments(['BTCUSDT']);
    const b = await ex.fetchBalance();
    expect([b.equity.toString(), b.walletBalance.toString(), b.available.toString()]).toEqual(['10000', '10000', '10000']);
    expect(log.lines.some((l) => l.message === 'account read' && l.fields['marginMode'] === 'ISOLATED_MARGIN')).toBe(true);
  });

  it('isolated margin: available is the coin’s wallet balance less its margin in use', async () => {
    const { ex } = await connect({ marginMode: 'ISOLATED_MARGIN' });
    await ex.loadInstruments(['BTCUSDT']);
    await ex.setLeverage('BTCUSDT', dec(10));
    sandbox!.step(1);
    await ex.placeOrder(entry('ps-iso-1'));
    const b = await ex.fetchBalance();
    expect(b.available.lt(b.walletBalance), 'position margin is not available').toBe(true);
    expect(b.available.gt(9900), 'about 10000 less the margin of 0.001 BTC at 10x').toBe(true);
  });

  it('a cross account answering totalAvailableBalance "": available from the USDT coin, never 0', async () => {
    const { ex } = await connect({ emptyAvailableTotal: true });
    const b = await ex.fetchBalance();
    expect(b.available.toString()).toBe('10000');
  });

  it('hedge mode: start-up is refused, saying how to switch to one-way mode; a position read is refused too', async () => {
    const { ex } = await connect({ positionMode: 'hedge' });
    const err = await ex.loadInstruments(['BTCUSDT']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExchangeError);
    expect((err as ExchangeError).kind).toBe('fatal');
    expect((err as Error).message).toMatch(/hedge mode .*BTCUSDT.*one-way mode only.*Position mode → One-way mode/);
    await expect(ex.fetchPositions(['BTCUSDT'])).rejects.toThrow(/hedge mode/);
  });

  it('a symbol that leaves Trading: no new entries (said once), exits still go out', async () => {
    const { ex, s, log } = await connect({});
    await ex.loadInstruments(['BTCUSDT']);
    s.step(1);
    await expect(ex.placeOrder(entry('ps-st-1'))).resolves.toMatchObject({ status: 'placed' });
    s.account.instrumentStatus.set('BTCUSDT', 'Delivering');
    await ex.loadInstruments(['BTCUSDT']); // the hourly refresh
    for (const id of ['ps-st-2', 'ps-st-3']) {
      const err = await ex.placeOrder(entry(id)).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as ExchangeError).kind, id).toBe('rejected');
      expect((err as Error).message).toBe(`order ${id}: BTCUSDT is Delivering on Bybit, not Trading: no new positions`);
    }
    expect(log.lines.filter((l) => /BTCUSDT is Delivering on Bybit, not Trading: no new entries or quotes/.test(l.message))).toHaveLength(1);
    await expect(ex.placeOrder({ ...entry('ps-st-4', true), side: 'sell' })).resolves.toMatchObject({ status: 'placed' });
  });
});
