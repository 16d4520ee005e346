/**
 * The exchange side of a running bot per mode, against the sandbox on loopback: replay starts its
 * own sandbox and clock, a live mode carries the key to check, paper trades a simulated account fed
 * by the exchange's public data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectMarket, paperCosts } from '../../src/cli/connectMarket.js';
import type { RunOptions } from '../../src/cli/runOptions.js';
import { loadConfig } from '../../src/config/load.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { createLogger } from '../../src/util/logger.js';
import { ROOT } from '../helpers/cli.js';

const DATA = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');
const NO_SECRETS = { apiKey: null, apiSecret: null, telegramBotToken: null, source: 'none' } as const;
let sandbox: Sandbox;
let dir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ data: [DATA], ntpPort: 0 });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-market-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(config: Record<string, unknown>, extra: Partial<RunOptions> = {}): RunOptions {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const loaded = loadConfig({ path: join(dir, 'config.json'), env: {} });
  return { loaded, secrets: NO_SECRETS, stateDir: join(dir, 'state'), paper: false, replay: null, speed: 1, restoreBackup: false, sets: [], ...extra };
}

function logger() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger({ level: 'debug', stream, env: { NO_COLOR: '1' } }), text: () => text };
}

const sandboxed = () => ({
  exchange: { restUrl: sandbox.restUrl, wsPublicUrl: sandbox.wsPublicUrl, wsPrivateUrl: sandbox.wsPrivateUrl },
  clock: { ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2 },
});

describe('connectMarket', () => {
  it('--replay: its own sandbox and NTP responder, a clock that becomes trusted, and a warning for a symbol the file lacks', async () => {
    const opts = options({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }, { symbol: 'ETHUSDT', strategy: 'scalper' }] }, { paper: true, replay: DATA });
    const log = logger();
    const market = await connectMarket(opts.loaded.config, opts, 'replay', log.logger);
    try {
      expect(market.needsTrustedClock, 'replay signs its requests like live').toBe(true);
      expect(market.keyCheck).toBeUndefined();
      expect(log.text()).toMatch(/the replay has no data for ETHUSDT/);
      const status = await market.clock.start();
      market.clock.stop();
      expect(status.trusted, status.reasons.map((r) => r.message).join('; ')).toBe(true);
      expect([...(await market.port.loadInstruments(['BTCUSDT'])).keys()]).toEqual(['BTCUSDT']);
      expect(Math.abs(market.now() - Date.now()), 'now() is the corrected clock').toBeLessThan(5_000);
    } finally {
      await market.close();
    }
  }, 30_000);

  it('a live mode with a key: the key is checked before trading; without one there is nothing to check', async () => {
    const withKey = options({ mode: 'testnet', ...sandboxed(), symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }, { secrets: { ...NO_SECRETS, apiKey: 'key12345', apiSecret: 'secret-for-tests', source: 'environment' } });
    const live = await connectMarket(withKey.loaded.config, withKey, 'testnet', logger().logger);
    await live.close();
    expect(live.needsTrustedClock).toBe(true);
    expect(live.keyCheck).toEqual({ baseUrl: sandbox.restUrl, mode: 'testnet', apiKey: 'key12345', apiSecret: 'secret-for-tests', recvWindowMs: 5000, timeoutMs: 10_000 });

    const without = options({ mode: 'testnet', ...sandboxed(), symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] });
    const noKey = await connectMarket(without.loaded.config, without, 'testnet', logger().logger);
    await noKey.close();
    expect(noKey.keyCheck).toBeUndefined();
  });

  it('paper: a simulated account with config.paper\'s balance, fed by the exchange\'s public data; no trusted clock needed', async () => {
    const opts = options({ mode: 'paper', ...sandboxed(), paper: { startBalanceUsdt: 2500 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }, { paper: true });
    const market = await connectMarket(opts.loaded.config, opts, 'paper', logger().logger);
    try {
      expect(market.needsTrustedClock).toBe(false);
      expect(market.keyCheck).toBeUndefined();
      expect((await market.port.fetchBalance()).walletBalance.toFixed()).toBe('2500');
      expect([...(await market.port.loadInstruments(['BTCUSDT'])).keys()]).toEqual(['BTCUSDT']);
    } finally {
      await market.close();
    }
  }, 30_000);

  it('paperCosts: percent in config, rates and basis points for the simulator', () => {
    const opts = options({ mode: 'paper', paper: { startBalanceUsdt: 1000, makerFeePct: 0.02, takerFeePct: 0.055, slippagePct: 0.01 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] });
    expect(paperCosts(opts.loaded.config)).toEqual({ initialBalance: '1000', makerFeeRate: '0.0002', takerFeeRate: '0.00055', slippageBps: 1 });
  });
});
