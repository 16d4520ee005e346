import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAINNET_PHRASE } from '../../src/cli/init.js';
import { loadConfig } from '../../src/config/load.js';
import { builtBundle } from '../helpers/build.js';
import { PtySession } from '../helpers/pty.js';

let dir: string;
let bot: string;
let session: PtySession | null = null;
beforeAll(() => {
  bot = builtBundle('bot');
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-wizard-'));
});
afterEach(() => {
  session?.kill();
  session = null;
  rmSync(dir, { recursive: true, force: true });
});

const KEY = 'AbCdEfGh12345678';
const SECRET = 'ZyXwVuTsRqPoNmLk0987654321abcd';

function start(args: string[]): PtySession {
  session = new PtySession([process.execPath, bot, ...args], { cwd: dir });
  return session;
}

describe('first-run wizard, through a real pseudo-terminal', () => {
  it('paper mode: asks, summarises, writes a config that validates, and no secrets file', async () => {
    const s = start(['init']);
    await s.expect(/Mode: .*\(paper\/testnet\/demo\/mainnet\) \[paper\]: /);
    s.type('');
    await s.expect(/Symbols, comma-separated \[BTCUSDT\]: /);
    s.type('BTCUSDT, ETHUSDT');
    await s.expect(/Strategy for BTCUSDT \(scalper\/maker\) \[scalper\]: /);
    s.type('');
    await s.expect(/Strategy for ETHUSDT/);
    s.type('maker');
    await s.expect(/Risk per trade, % of equity \[1\]: /);
    s.type('0.5');
    await s.expect(/Leverage \[3\]: /);
    s.type('5');
    await s.expect(/Android notifications .*\[y\]: /);
    s.type('n');
    await s.expect(/Summary[\s\S]*mode +paper[\s\S]*ETHUSDT +maker[\s\S]*Write .*config\.json\? \(y\/n\) \[y\]: /);
    s.type('y');
    expect(await s.exited).toBe(0);
    const { config } = loadConfig({ path: join(dir, 'config.json') });
    expect(config.mode).toBe('paper');
    expect(config.symbols.map((x) => [x.symbol, x.strategy, x.leverage])).toEqual([
      ['BTCUSDT', 'scalper', 5],
      ['ETHUSDT', 'maker', 5],
    ]);
    const scalper = config.symbols[0]!;
    expect(scalper.strategy === 'scalper' && scalper.sizing).toEqual({ mode: 'risk', riskPerTradePct: 0.5, maxNotionalUsdt: null });
    expect(config.alerts.termux.enabled).toBe(false);
    expect(existsSync(join(dir, 'state', 'secrets.json'))).toBe(false);
  });

  it('testnet: hides the key and secret as they are typed, stores them 0600, re-asks a bad symbol', async () => {
    const s = start(['init']);
    await s.expect(/Mode: /);
    s.type('testnet');
    await s.expect(/API key \(hidden\): /);
    s.type(KEY);
    await s.expect(/API secret \(hidden\): /);
    s.type(SECRET);
    await s.expect(/Symbols/);
    s.type('btc-usdt');
    await s.expect(/not a Bybit linear symbol: btc-usdt/);
    s.type('BTCUSDT');
    await s.expect(/Strategy for BTCUSDT/);
    s.type('');
    await s.expect(/Risk per trade/);
    s.type('');
    await s.expect(/Leverage/);
    s.type('');
    await s.expect(/notifications/);
    s.type('');
    await s.expect(/Write .*\? /);
    s.type('');
    expect(await s.exited).toBe(0);
    expect(s.screen, 'the key was echoed').not.toContain(KEY);
    expect(s.screen, 'the secret was echoed').not.toContain(SECRET);
    const secretsFile = join(dir, 'state', 'secrets.json');
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(secretsFile, 'utf8'))).toEqual({ apiKey: KEY, apiSecret: SECRET });
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(SECRET);
    expect(loadConfig({ path: join(dir, 'config.json') }).config.mode).toBe('testnet');
  });

  it('mainnet needs the confirmation phrase typed exactly', async () => {
    const s = start(['init']);
    await s.expect(/Mode: /);
    s.type('mainnet');
    await s.expect(/REAL MONEY[\s\S]*Type ".*" to continue: /);
    s.type('yes');
    await s.expect(/that is not the phrase/);
    s.type(MAINNET_PHRASE);
    await s.expect(/API key/);
    s.type(KEY);
    await s.expect(/API secret/);
    s.type(SECRET);
    for (const prompt of [/Symbols/, /Strategy for/, /Risk per trade/, /Leverage/, /notifications/, /Write .*\? /]) {
      await s.expect(prompt);
      s.type('');
    }
    expect(await s.exited).toBe(0);
    const { config } = loadConfig({ path: join(dir, 'config.json') });
    expect([config.mode, config.confirmMainnet]).toEqual(['mainnet', true]);
  });

  it('run starts the wizard when config.json is missing on a terminal; Ctrl-C writes nothing', async () => {
    const s = start(['run']);
    await s.expect(/pocket-scalper setup/);
    await s.expect(/Mode: /);
    s.interrupt();
    await s.expect(/Cancelled; nothing written/);
    expect(await s.exited).toBe(2);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });

  it('keeps an existing config.json unless the owner agrees, and then keeps a .bak copy', async () => {
    writeFileSync(join(dir, 'config.json'), '{"symbols": [{"symbol": "XRPUSDT", "strategy": "maker"}]}');
    const s = start(['init']);
    await s.expect(/exists\. Replace it .*\[n\]: /);
    s.type('');
    await s.expect(/Nothing changed/);
    expect(await s.exited).toBe(1);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toContain('XRPUSDT');
    expect(existsSync(join(dir, 'config.json.bak'))).toBe(false);
  });
});
