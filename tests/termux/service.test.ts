/**
 * The installed service, log, finish, boot and widget scripts, run as Termux's plugins and runsv run
 * them (directly, by their substituted shebang, with an environment that is not a login shell's),
 * in a fake Termux prefix with stub sv/termux-* executables. The service's `run` starts the real
 * bot bundle against the sandbox (REST, streams and NTP on loopback): the process runsv would signal
 * must be node itself (exec all the way down, no wrapper shell) with the right arguments, working
 * directory and environment, and SIGTERM (what `sv down` sends) must shut it down gracefully.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeSecrets } from '../../src/config/secrets.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { createFakeTermux, PACKAGES, type FakeTermux } from './fakeTermux.js';

const DATA = new URL('../../data/bybit-BTCUSDT-1m.csv.gz', import.meta.url).pathname;
const KEY = { apiKey: 'service-test-key', apiSecret: 'service-test-secret-0123456789' };

let sandbox: Sandbox;
let f: FakeTermux;
let svc: string;
let stateDir: string;
let svdir: string;

beforeAll(async () => {
  sandbox = await startSandbox({ data: [DATA], ntpPort: 0, apiKeys: [KEY] });
  f = createFakeTermux({
    installed: [...PACKAGES],
    config: {
      mode: 'testnet',
      exchange: { restUrl: sandbox.restUrl },
      clock: { ntpServers: [`127.0.0.1:${sandbox.ntpPort}`], samplesPerServer: 1, timeoutMs: 500 },
      alerts: { termux: { enabled: false } },
      symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }],
    },
    botBundle: builtBundle('bot'),
  });
  const r = await f.run(join(f.prefix, 'bin', 'sh'), [join(f.project, 'termux', 'install.sh'), '--yes']);
  if (r.code !== 0) throw new Error(`install.sh failed:\n${r.stdout}\n${r.stderr}`);
  stateDir = join(f.project, 'state');
  writeSecrets(stateDir, KEY);
  svdir = join(f.prefix, 'var', 'service');
  svc = join(svdir, 'pocket-scalper');
});
afterAll(async () => {
  f?.cleanup();
  await sandbox?.close();
});
beforeEach(() => {
  f.clearCalls();
  rmSync(join(f.ctl, 'sv-fail'), { force: true });
  rmSync(join(f.ctl, 'dialog'), { force: true });
});

/** runsvdir's environment is whatever started it; at boot, next to nothing. */
const BARE_ENV: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin' };

function notifications(): string[] {
  return f.calls().filter((c) => c.startsWith('termux-notification '));
}

describe('service run (runsv starts it directly, by its shebang)', () => {
  it('execs node with the bot, its config and state dir, in the project, with a Termux environment; the bot trades on the sandbox and SIGTERM shuts it down gracefully', async () => {
    const child = spawn(join(svc, 'run'), [], { cwd: svc, env: BARE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    try {
      const deadline = Date.now() + 20_000;
      // Both lines, in whichever order the streams and the start-up log them.
      while (!(/private stream open/.test(stdout) && /running mode=testnet/.test(stdout)) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

      // The bot reached the sandbox with the key from the 0600 secrets file; its log (stderr) arrives
      // on stdout (exec 2>&1), which is what log/run records.
      expect(stdout, stdout).toContain(`running mode=testnet symbols=BTCUSDT:scalper stateDir=${stateDir}`);
      expect(stdout).toMatch(/private stream open detail=authenticated/);
      expect(stderr).toBe('');

      const pid = child.pid!;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      expect(argv, 'the process runsv would signal is node itself').toEqual([
        process.execPath,
        `${f.project}/dist/bot.js`,
        'run',
        '--config',
        `${f.project}/config.json`,
        '--state-dir',
        stateDir,
      ]);
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(f.project);
      const environ = Object.fromEntries(
        readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter((e) => e.includes('='))
          .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      );
      expect(environ.PATH).toBe(`${f.prefix}/bin:/system/bin`);
      expect(environ.HOME).toBe(f.home);
      expect(environ.PREFIX).toBe(f.prefix);
      expect(environ.TMPDIR, 'never /tmp, which Android does not have').toBe(`${f.prefix}/tmp`);

      process.kill(pid, 'SIGTERM'); // what `sv down pocket-scalper` does
      const end = await closed;
      expect(stdout).toMatch(/shutting down why=SIGTERM/);
      expect(end.code, 'a clean stop: finish does not pause').toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    }
  }, 40_000);

  it('a bot that cannot start exits 2 (here: a secrets file others can read); finish then waits a minute before runsv restarts it', async () => {
    const secrets = join(stateDir, 'secrets.json');
    chmodSync(secrets, 0o644);
    try {
      const r = await f.run(join(svc, 'run'), [], { cwd: svc, env: BARE_ENV });
      expect(r.code).toBe(2);
      expect(r.stdout).toContain(`chmod 600 "${secrets}"`);
      expect(r.stderr).toBe('');
      expect(f.calls()).toEqual([`node ${f.project}/dist/bot.js run --config ${f.project}/config.json --state-dir ${stateDir}`]);
    } finally {
      chmodSync(secrets, 0o600);
    }

    // runit runs ./finish with run's exit code; a config error must not restart every second.
    for (const [code, expected] of [['2', ['sleep 60']], ['1', ['sleep 10']], ['0', []], ['-1', []], ['143', []]] as const) {
      f.clearCalls();
      expect((await f.run(join(svc, 'finish'), [code, '0'], { cwd: svc, env: BARE_ENV })).code).toBe(0);
      expect(f.calls(), `finish ${code}`).toEqual(expected);
    }
  });

  it('log/run hands the output to svlogger, which writes $PREFIX/var/log/sv/pocket-scalper/current even without LOGDIR', async () => {
    const r = await f.run(join(svc, 'log', 'run'), [], { cwd: join(svc, 'log'), env: {}, input: 'bot line 1\nbot line 2\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(f.prefix, 'var', 'log', 'sv', 'pocket-scalper', 'current'), 'utf8')).toBe('bot line 1\nbot line 2\n');
  });
});

describe('boot script (Termux:Boot runs it with no profile)', () => {
  const boot = (): Promise<Awaited<ReturnType<FakeTermux['run']>>> => f.run(join(f.home, '.termux', 'boot', 'pocket-scalper'), [], { cwd: f.home, env: {} });

  it('leaves a disabled service alone: no wake lock, no sv up', async () => {
    writeFileSync(join(svc, 'down'), '');
    const r = await boot();
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('disabled');
    expect(f.calls()).toEqual([`service-daemon start [SVDIR=${svdir}]`]);
  });

  it('enabled: takes the wake lock, starts the service daemon, and retries sv up until runsv is ready', async () => {
    rmSync(join(svc, 'down'), { force: true });
    writeFileSync(join(f.ctl, 'sv-fail'), '2');
    const r = await boot();
    expect(r.code, r.stderr).toBe(0);
    expect(f.calls()).toEqual([
      'termux-wake-lock',
      `service-daemon start [SVDIR=${svdir}]`,
      `sv up pocket-scalper [SVDIR=${svdir}]`,
      'sleep 1',
      `sv up pocket-scalper [SVDIR=${svdir}]`,
      'sleep 1',
      `sv up pocket-scalper [SVDIR=${svdir}]`,
    ]);
  });

  it('gives up after 30 tries with a message naming the log', async () => {
    rmSync(join(svc, 'down'), { force: true });
    writeFileSync(join(f.ctl, 'sv-fail'), '1000');
    const r = await boot();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f.prefix}/var/log/sv/pocket-scalper/current`);
    expect(f.calls().filter((c) => c.startsWith('sv up'))).toHaveLength(30);
  });
});

describe('widget shortcuts (Termux:Widget runs them in the background, no profile)', () => {
  const widget = (name: string): Promise<Awaited<ReturnType<FakeTermux['run']>>> =>
    f.run(join(f.home, '.shortcuts', 'tasks', name), [], { cwd: f.home, env: {} });

  it('pocket-start takes the wake lock, enables and starts the service, and says so in a notification', async () => {
    writeFileSync(join(svc, 'down'), '');
    const r = await widget('pocket-start');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(svc, 'down')), 'enabled: it comes back after a reboot').toBe(false);
    const calls = f.calls();
    expect(calls.slice(0, 4)).toEqual([
      'termux-wake-lock',
      `service-daemon start [SVDIR=${svdir}]`,
      `sv-enable pocket-scalper [SVDIR=${svdir}]`,
      `sv up pocket-scalper [SVDIR=${svdir}]`,
    ]);
    expect(notifications()).toEqual([
      'termux-notification --id pocket-scalper-widget --group pocket-scalper -t pocket-scalper: started -c run: pocket-scalper: (pid 4242) 99s',
    ]);
  });

  it('pocket-stop disables the service, waits for it to stop, then releases the wake lock', async () => {
    const r = await widget('pocket-stop');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(svc, 'down')), 'disabled: stays stopped across reboots').toBe(true);
    const calls = f.calls();
    expect(calls.indexOf(`sv -w 60 -v down pocket-scalper [SVDIR=${svdir}]`), 'waits for the graceful shutdown').toBeGreaterThan(calls.indexOf(`sv-enable pocket-scalper [SVDIR=${svdir}]`));
    expect(calls.indexOf('termux-wake-unlock')).toBeGreaterThan(calls.indexOf(`sv -w 60 -v down pocket-scalper [SVDIR=${svdir}]`));
    expect(calls).toContain(`sv-disable pocket-scalper [SVDIR=${svdir}]`);
    expect(notifications()).toHaveLength(1);
    expect(notifications()[0]).toContain('-t pocket-scalper: stopped -c ');
  });

  it('pocket-status posts the service state and `status` as one notification', async () => {
    const r = await widget('pocket-status');
    expect(r.code, r.stderr).toBe(0);
    expect(f.calls()).toContain(`node ${f.project}/dist/bot.js status --state-dir ${stateDir}`);
    const [posted] = notifications();
    expect(posted).toMatch(/^termux-notification --id pocket-scalper-widget --group pocket-scalper -t pocket-scalper status -c run: pocket-scalper: \(pid 4242\) 99s\\n\S/);
  });

  it('pocket-pause and pocket-resume run the bot command and post its outcome', async () => {
    for (const action of ['pause', 'resume']) {
      f.clearCalls();
      const r = await widget(`pocket-${action}`);
      expect(r.code, r.stderr).toBe(0);
      expect(f.calls()).toContain(`node ${f.project}/dist/bot.js ${action} --state-dir ${stateDir}`);
      // Whatever the command printed (today "not implemented" and FAILED) is what the owner reads.
      expect(notifications()).toHaveLength(1);
      expect(notifications()[0]).toMatch(new RegExp(`-t pocket-scalper: (${action}d|${action} FAILED) -c \\S`));
    }
  });

  it('pocket-close-all asks first: "no" closes nothing, "yes" runs close-all --yes', async () => {
    const close = `node ${f.project}/dist/bot.js close-all --yes --state-dir ${stateDir}`;
    const no = await widget('pocket-close-all');
    expect(no.code).toBe(0);
    expect(f.calls()[0]).toBe("termux-dialog confirm -t Close all positions? -i Cancels the bot's orders and closes its positions at market.");
    expect(f.calls()).not.toContain(close);
    expect(notifications()[0]).toContain('close-all cancelled');

    f.clearCalls();
    writeFileSync(join(f.ctl, 'dialog'), '{\n  "code": -1,\n  "text": "yes"\n}\n');
    expect((await widget('pocket-close-all')).code).toBe(0);
    expect(f.calls()).toContain(close);
  });

  it('a Termux:API that never answers does not hang a widget: the notification is killed after 8 s', async () => {
    const stubPath = join(f.prefix, 'bin', 'termux-notification');
    const original = readFileSync(stubPath, 'utf8');
    writeFileSync(stubPath, `${original}\nexec /bin/sleep 1000\n`);
    try {
      const started = Date.now();
      const r = await widget('pocket-stop');
      expect(r.code).toBe(0);
      expect(Date.now() - started, 'timeout -k 2 8 around termux-notification').toBeLessThan(12_000);
    } finally {
      writeFileSync(stubPath, original);
    }
  }, 20_000);
});
