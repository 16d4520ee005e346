import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAINNET_PHRASE } from '../../src/cli/init.js';
import { loadConfig } from '../../src/config/load.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { runBot } from '../helpers/cli.js';
import { PtySession } from '../helpers/pty.js';

let dir: string;
let bot: string;
let session: PtySession | null = null;
// The wizard asks Bybit for a maker symbol's minimum order; here the sandbox answers, on loopback.
let sandbox: Sandbox;
beforeAll(async () => {
  bot = builtBundle('bot');
  sandbox = await startSandbox({ data: [fileURLToPath(new URL('../../data/bybit-ETHUSDT-1m.csv.gz', import.meta.url))] });
});
afterAll(async () => {
  await sandbox.close();
});
/** Nothing answers on port 9 (discard): the exchange is out of reach. */
const OFFLINE = 'http://127.0.0.1:9';
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

function start(args: string[], restUrl = sandbox.restUrl): PtySession {
  session = new PtySession([process.execPath, bot, ...args], { cwd: dir, env: { POCKET_EXCHANGE__REST_URL: restUrl } });
  return session;
}

/** The wizard on a terminal `columns` wide, as a phone in portrait shows it. */
/** Testnet mode, then the key and the secret at their hidden prompts. */
async function answerTestnetKeys(s: PtySession): Promise<void> {
  await s.expect(/Mode: /);
  s.type('testnet');
  await s.expect(/API key \(hidden\): /);
  s.type(KEY);
  await s.expect(/API secret \(hidden\): /);
  s.type(SECRET);
}

function startNarrow(columns: number): PtySession {
  const cmd = `stty cols ${columns} rows 60; exec '${process.execPath}' '${bot}' init`;
  session = new PtySession(['sh', '-c', cmd], { cwd: dir, env: { POCKET_EXCHANGE__REST_URL: sandbox.restUrl } });
  return session;
}

describe('first-run wizard, through a real pseudo-terminal', () => {
  it('paper mode: asks, summarises, writes a config that validates, and no secrets file', async () => {
    const s = start(['init']);
    await s.expect(/Mode: [\s\S]*\(paper\/testnet\/demo\/mainnet\)\s\[paper\]: /);
    s.type('');
    await s.expect(/Symbols, comma-separated \[BTCUSDT\]: /);
    s.type('BTCUSDT, ETHUSDT');
    await s.expect(/Strategy for BTCUSDT \(scalper\/maker\) \[scalper\]: /);
    s.type('');
    await s.expect(/Strategy for ETHUSDT/);
    s.type('maker');
    await s.expect(/smallest order is 0\.01 ETH\s+\(from\s+Bybit\)[\s\S]*Order size per quote for ETHUSDT, in ETH\s+\[0\.01\]: /);
    s.type('');
    await s.expect(/Risk per trade, % of equity \[1\]: /);
    s.type('0.5');
    await s.expect(/Leverage \[3\]: /);
    s.type('5');
    await s.expect(/Android notifications .*\[y\]: /);
    s.type('n');
    await s.expect(/Summary[\s\S]*mode +paper[\s\S]*ETHUSDT +maker, 0\.01 ETH per quote[\s\S]*Write [\s\S]*config\.json\? \(y\/n\) \[y\]: /);
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
    const maker = config.symbols[1]!;
    expect(maker.strategy === 'maker' && maker.params.orderQty, 'the size asked is written').toBe(0.01);
    expect(existsSync(join(dir, 'state', 'secrets.json'))).toBe(false);
  });

  it('a maker symbol typed in lower case: upper-cased, its minimum shown, a smaller size refused; the file trades as written', async () => {
    const s = start(['init']);
    await s.expect(/Mode: /);
    s.type('');
    await s.expect(/Symbols/);
    s.type('ethusdt');
    await s.expect(/Strategy for ETHUSDT/);
    s.type('maker');
    await s.expect(/Order size per quote for ETHUSDT, in ETH\s+\[0\.01\]: /);
    s.type('0.001');
    await s.expect(/below ETHUSDT's minimum of 0\.01 ETH:\s+it\s+could\s+never\s+trade/);
    s.type('0.05');
    for (const prompt of [/Risk per trade/, /Leverage/, /notifications/, /Write [\s\S]*\? /]) {
      await s.expect(prompt);
      s.type('');
    }
    expect(await s.exited).toBe(0);
    const text = readFileSync(join(dir, 'config.json'), 'utf8');
    expect(JSON.parse(text).symbols[0]).toMatchObject({ symbol: 'ETHUSDT', strategy: 'maker', params: { orderQty: 0.05 } });
    const check = await runBot(['config', 'check'], { cwd: dir, timeoutMs: 30_000 });
    expect(check.code).toBe(0);
    expect(check.stderr, 'config check has nothing to warn about').toBe('');
    expect(check.stdout).toMatch(/config\.json: valid/);
  });

  it('offline, the minimum comes from the shipped list of common symbols', async () => {
    const s = start(['init'], OFFLINE);
    await s.expect(/Mode: /);
    s.type('');
    await s.expect(/Symbols/);
    s.type('XRPUSDT');
    await s.expect(/Strategy for XRPUSDT/);
    s.type('maker');
    await s.expect(/smallest order is 1 XRP \(Bybit could not be asked:\s+from\s+pocket-scalper's\s+list\s+of\s+common\s+symbols\)[\s\S]*in XRP \[1\]: /, 20_000);
    s.type('0.5');
    await s.expect(/below XRPUSDT's minimum of 1 XRP/);
    s.interrupt();
    await s.expect(/Cancelled; nothing written/);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });

  it('on a 48-column terminal every line fits and no word is cut at the edge', async () => {
    const s = startNarrow(48);
    await answerTestnetKeys(s);
    await s.expect(/Symbols/);
    s.type('ETHUSDT');
    await s.expect(/Strategy for ETHUSDT/);
    s.type('maker');
    for (const prompt of [/Order size/, /Risk per trade/, /Leverage/, /notifications/]) {
      await s.expect(prompt);
      s.type('');
    }
    await s.expect(/Write\s[\s\S]*\?\s\(y\/n\) \[y\]: /);
    s.type('n');
    expect(await s.exited).toBe(1);
    const lines = s.screen.split('\n');
    for (const l of lines) expect(l.length, `"${l}" fits 48 columns`).toBeLessThanOrEqual(48);
    // Wrapped at spaces: the sentences read whole once the line breaks are spaces again.
    const joined = lines.join(' ').replace(/ +/g, ' ');
    expect(joined).toContain('pocket-scalper setup. Press Enter to accept the [default]. Ctrl-C cancels; nothing is written until the end.');
    expect(joined).toContain('Create an API key on Bybit testnet with Contract trade permission only (never withdrawal).');
  });

  it('testnet: hides the key and secret as they are typed, stores them 0600, re-asks a bad symbol', async () => {
    const s = start(['init']);
    await answerTestnetKeys(s);
    await s.expect(/Symbols/);
    s.type('btc-usdt');
    await s.expect(/not a Bybit linear symbol: BTC-USDT/);
    s.type('BTCUSDT');
    await s.expect(/Strategy for BTCUSDT/);
    s.type('');
    await s.expect(/Risk per trade/);
    s.type('');
    await s.expect(/Leverage/);
    s.type('');
    await s.expect(/notifications/);
    s.type('');
    // The summary promises; the file is written only after the owner says yes.
    await s.expect(/API key +given \(16 characters\); will be stored\s+in\s+[\s\S]*secrets\.json, mode 0600[\s\S]*Write [\s\S]*\? /);
    expect(existsSync(join(dir, 'state', 'secrets.json')), 'nothing stored before the answer').toBe(false);
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
    for (const prompt of [/Symbols/, /Strategy for/, /Risk per trade/, /Leverage/, /notifications/, /Write [\s\S]*\? /]) {
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

  it('Ctrl-C while the secret is typed (hidden) says cancelled and writes nothing', async () => {
    const s = start(['init']);
    await s.expect(/Mode: /);
    s.type('demo');
    await s.expect(/API key \(hidden\): /);
    s.type(KEY);
    await s.expect(/API secret \(hidden\): /);
    s.interrupt();
    await s.expect(/Cancelled; nothing written/);
    expect(await s.exited).toBe(1);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('keeps an existing config.json unless the owner agrees, and then keeps a .bak copy', async () => {
    writeFileSync(join(dir, 'config.json'), '{"symbols": [{"symbol": "XRPUSDT", "strategy": "maker"}]}');
    const s = start(['init']);
    await s.expect(/exists\. Replace it [\s\S]*\[n\]: /);
    s.type('');
    await s.expect(/Nothing changed/);
    expect(await s.exited).toBe(1);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toContain('XRPUSDT');
    expect(existsSync(join(dir, 'config.json.bak'))).toBe(false);
  });
});
