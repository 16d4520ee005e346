/**
 * `doctor`'s account checks against the sandbox (issue 20 items 3 and 7): the margin mode and the
 * position mode (hedge mode fails, saying how to switch), the Contract → Positions permission that
 * set-leverage and trading-stop need, and demo trading, which offers no /v5/user endpoint.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { doctorCommand, type DoctorReport } from '../../src/cli/doctor.js';
import { writeSecrets } from '../../src/config/secrets.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { memoryIo } from '../helpers/cli.js';

const DATA = new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname;
const GOOD = { apiKey: 'doctor-acct-key', apiSecret: 'acct-secret-0123456789', ips: ['127.0.0.1'] };
const NO_POSITION = { apiKey: 'doctor-nopos-key', apiSecret: 'nopos-secret-0123456789', ips: ['127.0.0.1'], positionPermission: false };

let sandbox: Sandbox;
const dirs: string[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ data: [DATA], ntpPort: 0, apiKeys: [GOOD, NO_POSITION] });
});
afterEach(() => {
  Object.assign(sandbox.account, { positionMode: 'oneWay', marginMode: 'REGULAR_MARGIN', demo: false });
});
afterAll(async () => {
  await sandbox.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function doctor(mode: string, key: { apiKey: string; apiSecret: string }): Promise<{ code: number; report: DoctorReport }> {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-doctor-acct-'));
  dirs.push(dir);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const config = {
    mode,
    exchange: { restUrl: sandbox.restUrl },
    clock: { ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2, timeoutMs: 1000 },
    alerts: { termux: { enabled: false } },
    symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }],
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  writeSecrets(stateDir, { apiKey: key.apiKey, apiSecret: key.apiSecret });
  const io = memoryIo({ cwd: dir, env: { HOME: dir } });
  const code = await doctorCommand.run(['--json', '--config', join(dir, 'config.json')], io);
  return { code, report: JSON.parse(io.out()) as DoctorReport };
}

const find = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;

describe('doctor: account modes and key permissions', () => {
  it('cross margin, one-way mode: both ok', async () => {
    const { report } = await doctor('testnet', GOOD);
    expect([find(report, 'margin-mode').status, find(report, 'margin-mode').message]).toEqual(['ok', 'the account uses cross margin']);
    expect([find(report, 'position-mode').status, find(report, 'position-mode').message]).toEqual(['ok', 'one-way mode (BTCUSDT)']);
  }, 30_000);

  it('isolated margin: ok, saying the balance is read from the USDT coin', async () => {
    sandbox.account.marginMode = 'ISOLATED_MARGIN';
    const { report } = await doctor('testnet', GOOD);
    expect(find(report, 'margin-mode').status).toBe('ok');
    expect(find(report, 'margin-mode').message).toMatch(/isolated margin .*USDT coin/);
  }, 30_000);

  it('hedge mode: position-mode fails and says how to switch to one-way mode', async () => {
    sandbox.account.positionMode = 'hedge';
    const { code, report } = await doctor('testnet', GOOD);
    expect(code).toBe(1);
    const c = find(report, 'position-mode');
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/hedge mode .*refuses to start/);
    expect(c.fix).toMatch(/Position mode → One-way mode/);
  }, 30_000);

  it('a key with Contract → Orders but not Positions fails key-trade: set-leverage and trading-stop need it', async () => {
    const { report } = await doctor('testnet', NO_POSITION);
    const c = find(report, 'key-trade');
    expect(c.status).toBe('fail');
    expect(c.message).toBe('the key lacks Contract → Positions: it can place orders but not set leverage or the exchange stop loss (set-leverage and trading-stop need Positions)');
  }, 30_000);

  it('demo trading: /v5/user/query-api is not offered; the key is tried on account/info and not failed', async () => {
    sandbox.account.demo = true;
    const { report } = await doctor('demo', GOOD);
    const key = find(report, 'api-key');
    expect(key.status).toBe('ok');
    expect(key.message).toMatch(/accepted the key on demo .*demo trading does not offer \/v5\/user\/query-api/);
    for (const id of ['key-withdraw', 'key-trade', 'key-ip']) expect(find(report, id).status, id).toBe('warn');
    expect(find(report, 'position-mode').status).toBe('ok');
  }, 30_000);

  it('demo trading with a key Bybit does not know: the refusal from account/info fails the key', async () => {
    sandbox.account.demo = true;
    const { report } = await doctor('demo', { apiKey: 'unknown-demo-key', apiSecret: 'unknown-secret-0123456789' });
    const key = find(report, 'api-key');
    expect(key.status).toBe('fail');
    expect(key.message).toMatch(/Bybit refused the key: retCode 10003/);
  }, 30_000);
});
