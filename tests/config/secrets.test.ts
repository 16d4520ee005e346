import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configCommand } from '../../src/cli/configCheck.js';
import { loadSecrets, SecretsError, writeSecrets } from '../../src/config/secrets.js';
import { clearSecretsForTest, redact } from '../../src/util/redact.js';
import { memoryIo } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-secrets-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  clearSecretsForTest();
});

const KEY = 'AbCdEfGh12345678';
const SECRET = 'ZyXwVuTsRqPoNmLk0987654321abcd';

describe('secrets', () => {
  it('writes the secrets file with mode 0600 and reads it back', () => {
    const path = writeSecrets(dir, { apiKey: KEY, apiSecret: SECRET });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadSecrets(dir, {})).toMatchObject({ apiKey: KEY, apiSecret: SECRET, source: 'secrets file' });
  });

  it('refuses a secrets file that others can read, and says how to fix it', () => {
    const path = writeSecrets(dir, { apiKey: KEY, apiSecret: SECRET });
    chmodSync(path, 0o644);
    expect(() => loadSecrets(dir, {}, 'linux')).toThrow(SecretsError);
    expect(() => loadSecrets(dir, {}, 'android')).toThrow(/chmod 600/);
  });

  it('prefers the environment over the file', () => {
    writeSecrets(dir, { apiKey: KEY, apiSecret: SECRET });
    expect(loadSecrets(dir, { BYBIT_API_KEY: 'EnvKey1234567', BYBIT_API_SECRET: 'env-secret-for-tests' })).toMatchObject({ apiKey: 'EnvKey1234567', source: 'environment' });
  });

  it('registers every secret it loads, so nothing can print it afterwards', () => {
    loadSecrets(dir, { BYBIT_API_KEY: KEY, BYBIT_API_SECRET: SECRET, TELEGRAM_BOT_TOKEN: '123456:TokenTokenToken' });
    expect(redact(`key=${KEY} secret ${SECRET} tg 123456:TokenTokenToken`)).toBe('key=[REDACTED] secret [REDACTED] tg [REDACTED]');
  });

  it('config check shows secrets only as redacted, in text and JSON', async () => {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ mode: 'testnet', alerts: { webhook: { url: 'https://hooks.example/abc/TOKEN123' } }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
    for (const json of [false, true]) {
      const io = memoryIo({ cwd: dir, env: { BYBIT_API_KEY: KEY, BYBIT_API_SECRET: SECRET } });
      expect(await configCommand.run(['check', '--config', cfg, ...(json ? ['--json'] : [])], io)).toBe(0);
      const all = io.out() + io.err();
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(KEY);
      expect(all).not.toContain('TOKEN123');
      expect(all).toContain(`[redacted, ${SECRET.length} characters]`);
      if (json) expect(JSON.parse(io.out()).config.alerts.webhook.url).toBe('https://hooks.example/[redacted]');
    }
  });

  it('config check exits 2 when the secrets file is world-readable', async () => {
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ stateDir: '.', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
    chmodSync(writeSecrets(dir, { apiKey: KEY, apiSecret: SECRET }), 0o640);
    const io = memoryIo({ cwd: dir });
    expect(await configCommand.run(['check', '--config', cfg], io)).toBe(2);
    expect(io.err()).toMatch(/readable by others \(mode 0640\)/);
  });
});
