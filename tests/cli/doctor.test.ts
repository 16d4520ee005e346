/**
 * `doctor` against the sandbox (issue 10 item 4): a real Bybit V5 emulator on loopback with keys of
 * different permissions, its NTP responder for the clock check, real config and secrets files in a
 * temporary directory, and stub Termux:API executables for the phone-only checks.
 */
import { freeSpaceCheck } from '../../src/cli/doctorSpace.js';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDoctorCommand, doctorCommand, wrap, type DoctorReport } from '../../src/cli/doctor.js';
import { signBybitRequest } from '../../src/cli/doctorKey.js';
import { writeSecrets } from '../../src/config/secrets.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { memoryIo } from '../helpers/cli.js';

const DATA = new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname;

/** Sandbox keys; secrets long enough to be registered for redaction (>= 6 characters). */
const KEYS = {
  good: { apiKey: 'doctor-good-key', apiSecret: 'good-secret-0123456789', ips: ['127.0.0.1'] },
  withdraw: { apiKey: 'doctor-withdraw-key', apiSecret: 'withdraw-secret-0123456789', withdraw: true, ips: ['127.0.0.1'] },
  open: { apiKey: 'doctor-open-key', apiSecret: 'open-secret-0123456789' },
  readOnly: { apiKey: 'doctor-readonly-key', apiSecret: 'readonly-secret-0123456789', readOnly: true, ips: ['127.0.0.1'] },
} as const;

let sandbox: Sandbox;
const dirs: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ data: [DATA], ntpPort: 0, apiKeys: Object.values(KEYS) });
});
afterAll(async () => {
  await sandbox.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Setup {
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
}

/** config.json aimed at the sandbox (REST and NTP) with a state directory beside it. */
function setup(opts: { mode?: string; key?: { apiKey: string; apiSecret: string }; ntp?: string; extra?: Record<string, unknown> } = {}): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'pocket-doctor-'));
  dirs.push(dir);
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const config = {
    mode: opts.mode ?? 'testnet',
    exchange: { restUrl: sandbox.restUrl },
    clock: { ntpServers: [opts.ntp ?? `127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 2, timeoutMs: 1000 },
    alerts: { termux: { enabled: false } },
    symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }],
    ...opts.extra,
  };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  if (opts.key) writeSecrets(stateDir, { apiKey: opts.key.apiKey, apiSecret: opts.key.apiSecret });
  return { dir, configPath, stateDir };
}

async function doctor(s: Setup, extraEnv: NodeJS.ProcessEnv = {}, command = doctorCommand): Promise<{ code: number; report: DoctorReport; out: string; err: string }> {
  const io = memoryIo({ cwd: s.dir, env: { HOME: s.dir, ...extraEnv } });
  const code = await command.run(['--json', '--config', s.configPath], io);
  const out = io.out();
  expect(out.trim().split('\n'), 'one JSON document on one line').toHaveLength(1);
  return { code, report: JSON.parse(out) as DoctorReport, out, err: io.err() };
}

function statusOf(report: DoctorReport, id: string): string | undefined {
  return report.checks.find((c) => c.id === id)?.status;
}

function messageOf(report: DoctorReport, id: string): string {
  return report.checks.find((c) => c.id === id)?.message ?? '';
}

describe('doctor --json against the sandbox', () => {
  it('a good key bound to an IP: every exchange, clock and key check passes and the exit code is 0', async () => {
    const { code, report, out, err } = await doctor(setup({ key: KEYS.good }));
    expect(err, 'with --json nothing but the document').toBe('');
    for (const id of ['node', 'platform', 'config', 'ntp', 'clock', 'exchange', 'free-space', 'secrets', 'api-key', 'key-withdraw', 'key-trade', 'key-ip']) {
      expect(statusOf(report, id), `${id}: ${messageOf(report, id)}`).toBe('ok');
    }
    expect(statusOf(report, 'termux-api'), 'not on Termux here').toBe('skip');
    expect(messageOf(report, 'free-space'), 'free space in the state directory (issue 22)').toMatch(/^[\d.]+ [kMG]B free in \S+state \(the bot's files: journal [\d.]+ [kMG]B, backups [\d.]+ [kMG]B, bot\.log [\d.]+ [kMG]B\)$/);
    for (const c of report.checks) expect(Object.keys(c).sort()).toEqual(['fix', 'id', 'message', 'status']);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(report.exitCode).toBe(0);
    expect(out).not.toContain(KEYS.good.apiSecret);
  });

  it('a key with withdrawal permission is refused: key-withdraw fails and the exit code is 1', async () => {
    const { code, report, out } = await doctor(setup({ key: KEYS.withdraw }));
    expect(statusOf(report, 'api-key')).toBe('ok');
    expect(statusOf(report, 'key-withdraw')).toBe('fail');
    expect(messageOf(report, 'key-withdraw')).toMatch(/withdraw/i);
    expect(report.checks.find((c) => c.id === 'key-withdraw')?.fix).toMatch(/new key/);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(out).not.toContain(KEYS.withdraw.apiSecret);
  });

  it('a key without an IP whitelist gets a warning, not a failure', async () => {
    const { code, report } = await doctor(setup({ key: KEYS.open }));
    expect(statusOf(report, 'key-ip')).toBe('warn');
    // The sandbox lists such keys as expiring in 90 days, as Bybit does.
    expect(messageOf(report, 'key-ip')).toMatch(/not bound to any IP.*expires/);
    expect(statusOf(report, 'key-withdraw')).toBe('ok');
    expect(code).toBe(0);
  });

  it('a read-only key fails key-trade', async () => {
    const { code, report } = await doctor(setup({ key: KEYS.readOnly }));
    expect(statusOf(report, 'key-trade')).toBe('fail');
    expect(messageOf(report, 'key-trade')).toMatch(/read-only/);
    expect(code).toBe(1);
  });

  it('an unknown key fails with Bybit\'s retCode 10003 and the permission checks are skipped', async () => {
    const { code, report, out } = await doctor(setup({ key: { apiKey: 'doctor-unknown-key', apiSecret: 'unknown-secret-0123456789' } }));
    expect(statusOf(report, 'api-key')).toBe('fail');
    expect(messageOf(report, 'api-key')).toContain('retCode 10003');
    expect(report.checks.find((c) => c.id === 'api-key')?.fix).toMatch(/testnet/);
    for (const id of ['key-withdraw', 'key-trade', 'key-ip']) expect(statusOf(report, id)).toBe('skip');
    expect(code).toBe(1);
    expect(out).not.toContain('unknown-secret-0123456789');
  });

  it('a wrong secret fails with retCode 10004, and neither the key nor the secret is echoed', async () => {
    const { report, out } = await doctor(setup({ key: { apiKey: KEYS.good.apiKey, apiSecret: 'wrong-secret-0123456789' } }));
    expect(messageOf(report, 'api-key')).toContain('retCode 10004');
    // Bybit's 10004 text quotes the signed string, which contains the key.
    expect(out).not.toContain('wrong-secret-0123456789');
    expect(out).not.toContain(`${KEYS.good.apiKey}5000`);
  });

  it('keys from the environment work too; the secrets check then has no file to judge', async () => {
    const { code, report } = await doctor(setup(), { BYBIT_API_KEY: KEYS.good.apiKey, BYBIT_API_SECRET: KEYS.good.apiSecret });
    expect(statusOf(report, 'api-key')).toBe('ok');
    expect(statusOf(report, 'secrets')).toBe('skip');
    expect(messageOf(report, 'secrets')).toMatch(/environment/);
    expect(code).toBe(0);
  });

  it('a secrets file readable by others fails with the chmod fix, and the key is not used', async () => {
    const s = setup({ key: KEYS.good });
    chmodSync(join(s.stateDir, 'secrets.json'), 0o644);
    const { code, report } = await doctor(s);
    const secrets = report.checks.find((c) => c.id === 'secrets');
    expect(secrets?.status).toBe('fail');
    expect(secrets?.message).toContain('0644');
    expect(secrets?.fix).toBe(`chmod 600 "${join(s.stateDir, 'secrets.json')}"`);
    expect(statusOf(report, 'api-key')).toBe('skip');
    expect(code).toBe(1);
  });

  it('testnet without any key fails api-key with the way to add one', async () => {
    const { code, report } = await doctor(setup());
    expect(statusOf(report, 'api-key')).toBe('fail');
    expect(report.checks.find((c) => c.id === 'api-key')?.fix).toMatch(/init|BYBIT_API_KEY/);
    expect(code).toBe(1);
  });

  it('paper mode needs no key: the key checks are skipped and nothing fails', async () => {
    const { code, report } = await doctor(setup({ mode: 'paper' }));
    for (const id of ['api-key', 'key-withdraw', 'key-trade', 'key-ip']) expect(statusOf(report, id)).toBe('skip');
    expect(statusOf(report, 'exchange')).toBe('ok');
    expect(code).toBe(0);
  });

  it('signs with the clock-corrected time: a machine clock 4 s ahead of the exchange still passes', async () => {
    // Bybit accepts server − recvWindow ≤ timestamp < server + 1000 (reference section 1): 4 s ahead
    // would be refused with 10002 without the correction.
    sandbox.setClockOffsetMs(-4000);
    try {
      const { code, report } = await doctor(setup({ key: KEYS.good }));
      expect(statusOf(report, 'clock')).toBe('ok');
      expect(messageOf(report, 'clock')).toMatch(/offset -(39|40)\d\d\.\d ms/);
      expect(statusOf(report, 'api-key'), messageOf(report, 'api-key')).toBe('ok');
      expect(code).toBe(0);
    } finally {
      sandbox.setClockOffsetMs(0);
    }
  });

  it('no NTP answer: ntp and clock fail with the UDP advice, the exchange is still checked', async () => {
    // The sandbox's REST port is TCP; nothing answers UDP there.
    const { code, report } = await doctor(setup({ key: KEYS.good, ntp: `127.0.0.1:${sandbox.port}` }));
    expect(statusOf(report, 'ntp')).toBe('fail');
    expect(report.checks.find((c) => c.id === 'ntp')?.fix).toMatch(/UDP port 123/);
    expect(statusOf(report, 'clock')).toBe('fail');
    expect(messageOf(report, 'clock')).toMatch(/not trusted/);
    expect(statusOf(report, 'exchange')).toBe('ok');
    expect(code).toBe(1);
    // The owner reads the NTP error and the UDP advice once, under ntp; clock points there.
    const text = report.checks.filter((c) => c.id === 'ntp' || c.id === 'clock').map((c) => `${c.message}\n${c.fix ?? ''}`).join('\n');
    expect(text.split(`127.0.0.1:${sandbox.port}`).length - 1, 'the NTP error is printed once').toBe(1);
    expect(text.split('UDP port 123').length - 1, 'the UDP advice is printed once').toBe(1);
    expect(messageOf(report, 'clock')).toMatch(/no NTP server answered \(see ntp\)/);
  });

  it('an unreachable exchange fails the exchange and api-key checks', async () => {
    // A loopback port that was just free: connections to it are refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const s = setup({ key: KEYS.good, extra: { exchange: { restUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 2000 } } });
    const { code, report } = await doctor(s);
    expect(statusOf(report, 'exchange')).toBe('fail');
    expect(messageOf(report, 'exchange')).toMatch(/not reachable.*ECONNREFUSED/);
    expect(statusOf(report, 'api-key')).toBe('fail');
    expect(code).toBe(1);
  });
});

describe('doctor: configuration, output and the phone checks', () => {
  it('a missing config file is a configuration error (exit 2), and the checks that need none still run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-doctor-empty-'));
    dirs.push(dir);
    const io = memoryIo({ cwd: dir, env: {} });
    const code = await doctorCommand.run(['--json'], io);
    const report = JSON.parse(io.out()) as DoctorReport;
    expect(code).toBe(2);
    expect(statusOf(report, 'config')).toBe('fail');
    expect(report.checks.find((c) => c.id === 'config')?.fix).toMatch(/init/);
    expect(statusOf(report, 'node')).toBe('ok');
    expect(statusOf(report, 'api-key')).toBe('skip');
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const io = memoryIo({ cwd: tmpdir(), env: {} });
    expect(await doctorCommand.run(['--bogus'], io)).toBe(2);
    expect(io.err()).toContain('Usage: node dist/bot.js doctor');
  });

  it('human output goes to stderr, fits a 50-column phone screen, and carries the fixes', async () => {
    const s = setup({ key: KEYS.withdraw });
    const io = memoryIo({ cwd: s.dir, env: { HOME: s.dir, NO_COLOR: '1' } });
    const code = await doctorCommand.run(['--config', s.configPath], io);
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    const text = io.err();
    expect(text).toMatch(/FAIL key-withdraw/);
    expect(text).toMatch(/fix: In Bybit/);
    for (const line of text.split('\n')) {
      // A single unbreakable word (a long path) may overflow; anything with a space must wrap.
      if (line.length > 50) expect(line.trim(), `too wide: "${line}"`).not.toMatch(/\s/);
    }
    expect(text).not.toContain(KEYS.withdraw.apiSecret);
  });

  it('wrap keeps words whole and lines within the width', () => {
    expect(wrap('aaa bbb ccc ddd', 7)).toEqual(['aaa bbb', 'ccc ddd']);
    expect(wrap('x /a/very/long/path/name y', 6)).toEqual(['x', '/a/very/long/path/name', 'y']);
  });

  it('signs per Bybit\'s documented GET vector (reference bybit-v5.md section 1)', () => {
    expect(signBybitRequest('YYYYYYYYYY', '1658384314791', 'XXXXXXXXXX', '5000', 'category=option&symbol=BTC-29JUL22-25000-C')).toBe(
      '37813c67fafb3017e92354eb88f218e7e52a98f9f5eb74cfcf0b21f17edb143b',
    );
  });

  describe('on Termux (platform android, stub Termux:API executables first on PATH)', () => {
    let bin: string;
    beforeAll(() => {
      bin = mkdtempSync(join(tmpdir(), 'pocket-doctor-bin-'));
      dirs.push(bin);
    });

    function stub(name: string, body: string): void {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }

    const android = createDoctorCommand({ platform: 'android' });

    it('Termux:API answering, the boot script in place, Android 14: ok, ok, and the exact phantom-process commands', async () => {
      // termux-battery-status output shape per reference/termux.md.
      stub('termux-battery-status', `echo '{"percentage": 81, "plugged": "PLUGGED_USB", "status": "CHARGING", "temperature": 31.5}'`);
      stub('getprop', 'echo 34');
      const s = setup({ mode: 'paper', extra: { alerts: { termux: { enabled: true, timeoutMs: 3000 } } } });
      mkdirSync(join(s.dir, '.termux', 'boot'), { recursive: true });
      writeFileSync(join(s.dir, '.termux', 'boot', 'pocket-scalper'), '#!/bin/sh\n', { mode: 0o700 });
      const { report } = await doctor(s, { PATH: `${bin}:/usr/bin:/bin` }, android);
      expect(statusOf(report, 'platform')).toBe('ok');
      expect(statusOf(report, 'termux-api'), messageOf(report, 'termux-api')).toBe('ok');
      expect(messageOf(report, 'termux-api')).toMatch(/battery 81 %/);
      expect(statusOf(report, 'wake-lock')).toBe('ok');
      expect(statusOf(report, 'battery-optimisation')).toBe('warn');
      const phantom = report.checks.find((c) => c.id === 'phantom-processes');
      expect(phantom?.status).toBe('warn');
      expect(phantom?.fix).toContain('adb shell "settings put global settings_enable_monitor_phantom_procs false"');
      expect(phantom?.fix).toContain('Disable child process restrictions');
    });

    it('a Termux:API call that never answers is killed at the configured timeout and fails the check', async () => {
      stub('termux-battery-status', 'exec sleep 30');
      stub('getprop', 'echo 30');
      const s = setup({ mode: 'paper', extra: { alerts: { termux: { enabled: true, timeoutMs: 500 } } } });
      const started = Date.now();
      const { code, report } = await doctor(s, { PATH: `${bin}:/usr/bin:/bin` }, android);
      expect(Date.now() - started, 'the hard timeout, not the 30 s sleep').toBeLessThan(10_000);
      expect(statusOf(report, 'termux-api')).toBe('fail');
      expect(messageOf(report, 'termux-api')).toMatch(/no answer within 500 ms/);
      expect(report.checks.find((c) => c.id === 'termux-api')?.fix).toMatch(/pkg install termux-api/);
      expect(statusOf(report, 'phantom-processes'), 'Android 11 has no phantom process killer').toBe('ok');
      expect(statusOf(report, 'wake-lock'), 'no boot script in this HOME').toBe('warn');
      expect(code).toBe(1);
    });

    it('the state directory under $PREFIX/tmp fails: Termux erases it on every restart', async () => {
      const prefix = mkdtempSync(join(tmpdir(), 'pocket-doctor-prefix-'));
      dirs.push(prefix);
      mkdirSync(join(prefix, 'tmp', 'state'), { recursive: true });
      stub('termux-battery-status', `echo '{"percentage": 50, "plugged": "UNPLUGGED", "status": "DISCHARGING", "temperature": 30}'`);
      const s = setup({ mode: 'paper' });
      const io = memoryIo({ cwd: s.dir, env: { HOME: s.dir, PREFIX: prefix, PATH: `${bin}:/usr/bin:/bin` } });
      await android.run(['--json', '--config', s.configPath, '--state-dir', join(prefix, 'tmp', 'state')], io);
      const report = JSON.parse(io.out()) as DoctorReport;
      expect(statusOf(report, 'state-dir')).toBe('fail');
      expect(messageOf(report, 'state-dir')).toMatch(/erased every time Termux restarts/);
    });
  });
});

describe('doctor free-space check (issue 22)', () => {
  it("warns under 50 MB free, naming what the bot's own files take and what to do", () => {
    const low = freeSpaceCheck('/data/state', { freeBytes: 12_000_000, journalBytes: 30_500_000, backupBytes: 1_200_000, logBytes: 5_000_000 });
    expect(low.status).toBe('warn');
    expect(low.message).toBe("only 12.0 MB free in /data/state (under 50.0 MB; the bot's files: journal 30.5 MB, backups 1.2 MB, bot.log 5.0 MB): when it is full the bot stops opening positions");
    expect(low.fix).toMatch(/Free space on that storage/);
    expect(freeSpaceCheck('/data/state', { freeBytes: 60_000_000, journalBytes: 0, backupBytes: 0, logBytes: 0 }).status).toBe('ok');
    expect(freeSpaceCheck('/data/state', { freeBytes: null, journalBytes: 0, backupBytes: 0, logBytes: 0 }).status).toBe('skip');
  });
});
