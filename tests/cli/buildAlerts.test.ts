/** The running bot's alert router, built from config.alerts: which channels exist, and what reaches them. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAlerts } from '../../src/cli/buildAlerts.js';
import type { RunOptions } from '../../src/cli/runOptions.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/util/logger.js';

const SECRETS = { apiKey: 'alertKey9876', apiSecret: 'alert-secret-for-tests-only', telegramBotToken: null, source: 'environment' } as const;
let server: Server;
let url: string;
let received: { title: string; body: string; level: string }[];
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      received.push(JSON.parse(text) as { title: string; body: string; level: string });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received = [];
  dir = mkdtempSync(join(tmpdir(), 'pocket-alerts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function build(alerts: Record<string, unknown>, secrets: RunOptions['secrets'] = SECRETS) {
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }], alerts }));
  const loaded = loadConfig({ path: join(dir, 'config.json'), env: {} });
  const opts: RunOptions = { loaded, secrets, stateDir: join(dir, 'state'), paper: true, replay: null, speed: 1, restoreBackup: false, sets: [] };
  return buildAlerts(loaded.config, opts, createLogger({ stream: new PassThrough(), env: { NO_COLOR: '1' } }));
}

describe('buildAlerts', () => {
  it('a webhook from the config gets alerts at or above minLevel, with the API key and secret redacted', async () => {
    const system = build({ termux: { enabled: false }, webhook: { url }, minLevel: 'warning' });
    expect(system.termux).toBeNull();
    expect(system.telegram).toBeNull();
    system.router.send({ level: 'info', kind: 'dailySummary', title: 'Daily summary', body: 'below minLevel', ts: Date.now() });
    system.router.send({ level: 'critical', kind: 'error', title: 'Exchange refused', body: `key ${SECRETS.apiKey} secret ${SECRETS.apiSecret}`, ts: Date.now() });
    await system.router.drain();
    await system.router.close();
    expect(received.map((a) => a.title)).toEqual(['Exchange refused']);
    expect(received[0]!.body).not.toContain(SECRETS.apiKey);
    expect(received[0]!.body).not.toContain(SECRETS.apiSecret);
  });

  it('termux notifications by default; Telegram only with both a chat id and a bot token', async () => {
    const termuxOnly = build({ telegram: { chatId: 12345 } });
    expect(termuxOnly.termux, 'termux is on unless disabled').not.toBeNull();
    expect(termuxOnly.telegram, 'a chat id without a token').toBeNull();
    expect(termuxOnly.webhook).toBeNull();
    await termuxOnly.router.close();
    const withTelegram = build({ termux: { enabled: false }, telegram: { chatId: 12345 } }, { ...SECRETS, telegramBotToken: '123456:token-for-tests' });
    expect(withTelegram.telegram).not.toBeNull();
    expect(withTelegram.termux).toBeNull();
    await withTelegram.router.close();
  });
});
