/**
 * Issue 24: a refused mirror key's "Fix:" names the mirror's own key places, for every refusal the
 * key checks give (tests/cli/mirrorAccount.test.ts shows one through the bot: an unknown key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assessApiKey, readApiKeyChecks } from '../../src/cli/doctorKey.js';
import { mirrorKeyFix } from '../../src/cli/mirrorKeyFix.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ data: [{ symbol: 'BTCUSDT', candles: [{ ts: 0, open: 1, high: 1, low: 1, close: 1, volume: 1 }] }], apiKeys: [{ apiKey: 'knownKey', apiSecret: 'known-secret' }] });
});
afterAll(() => sandbox.close());

const MIRROR_PLACES = /BYBIT_MIRROR_API_KEY \/ BYBIT_MIRROR_API_SECRET, or "mirrorApiKey" \/ "mirrorApiSecret" in <stateDir>\/secrets\.json/;

async function fixes(apiKey: string, apiSecret: string): Promise<string[]> {
  const checks = await readApiKeyChecks({ baseUrl: sandbox.restUrl, mode: 'testnet', apiKey, apiSecret, timestampMs: sandbox.nowMs(), recvWindowMs: 5000, timeoutMs: 3000 });
  return checks.filter((c) => c.status === 'fail' && c.fix).map((c) => c.fix!);
}

describe('mirrorKeyFix', () => {
  it('an unknown key (10003), a wrong secret (10004) and a key that can withdraw: the mirror variables, never init or the main variables', async () => {
    const all = [...(await fixes('unknownKey', 'x')), ...(await fixes('knownKey', 'wrong-secret')), ...assessApiKey({ readOnly: 0, permissions: { Wallet: ['Withdraw'], ContractTrade: ['Order', 'Position'] }, ips: ['1.2.3.4'] }).flatMap((c) => (c.status === 'fail' && c.fix ? [c.fix] : []))];
    expect(all.length, all.join('\n')).toBe(3);
    for (const fix of all) {
      const mirror = mirrorKeyFix(fix);
      expect(mirror, fix).toMatch(MIRROR_PLACES);
      expect(mirror.replace(/\(init writes the main key only\)/, ''), fix).not.toMatch(/\binit\b|BYBIT_API_KEY/);
    }
  });

  it('leaves a fix that names no key place as it is', () => {
    const fix = 'Edit the key in Bybit → API management: enable Contract → Orders and Positions.';
    expect(mirrorKeyFix(fix)).toBe(fix);
  });

  it('words it does not know naming init give way to the mirror places', () => {
    const out = mirrorKeyFix('Create a new key. Then run node dist/bot.js init again.');
    expect(out).toBe('Create a new key. Store the mirror\'s key as BYBIT_MIRROR_API_KEY / BYBIT_MIRROR_API_SECRET, or "mirrorApiKey" / "mirrorApiSecret" in <stateDir>/secrets.json (init writes the main key only).');
  });
});
