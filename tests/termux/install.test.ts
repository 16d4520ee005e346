/**
 * termux/install.sh in a fake Termux prefix (issue 10 "done when"): stub pkg/npm/sv/termux-* first
 * (and alone) on PATH, a temporary $PREFIX and $HOME, the real scripts. Files must land in the right
 * places with the right modes, with the prefix substituted into every shebang and path, and a second
 * run must change nothing. `npm ci` is never really run (no network in tests): the stub records it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtBundle } from '../helpers/build.js';
import { shellcheckTool } from '../helpers/externalTool.js';
import { createFakeTermux, modeOf, PACKAGES, type FakeTermux } from './fakeTermux.js';

/** Aimed at nothing that answers (port 9, discard), with short timeouts: doctor must finish fast offline. */
const OFFLINE_CONFIG = {
  mode: 'paper',
  exchange: { restUrl: 'http://127.0.0.1:9', requestTimeoutMs: 1000 },
  clock: { ntpServers: ['127.0.0.1:9'], samplesPerServer: 1, timeoutMs: 300 },
  alerts: { termux: { enabled: false } },
  symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }],
};

const WIDGETS = ['pocket-close-all', 'pocket-pause', 'pocket-resume', 'pocket-start', 'pocket-status', 'pocket-stop'];

let fake: FakeTermux | null = null;
afterEach(() => {
  fake?.cleanup();
  fake = null;
});

function newFake(installed: Parameters<typeof createFakeTermux>[0]['installed'] = []): FakeTermux {
  fake = createFakeTermux({ installed, config: OFFLINE_CONFIG, botBundle: builtBundle('bot') });
  return fake;
}

/** How a user runs it: `sh termux/install.sh` in a Termux shell (PATH = $PREFIX/bin). */
function install(f: FakeTermux, args: readonly string[], input = ''): ReturnType<FakeTermux['run']> {
  return f.run(join(f.prefix, 'bin', 'sh'), [join(f.project, 'termux', 'install.sh'), ...args], { input });
}

/** The scripts install.sh writes: the service, its log and finish scripts, the boot script, the widgets. */
function installedScripts(f: FakeTermux): string[] {
  const svc = join(f.prefix, 'var', 'service', 'pocket-scalper');
  return [
    join(svc, 'run'),
    join(svc, 'finish'),
    join(svc, 'log', 'run'),
    join(f.home, '.termux', 'boot', 'pocket-scalper'),
    ...WIDGETS.map((w) => join(f.home, '.shortcuts', 'tasks', w)),
  ];
}

const shellcheck = shellcheckTool();

describe('termux/install.sh on a fresh (fake) Termux', () => {
  it('installs the packages, dependencies, build, state dir, service, boot script and widgets, then runs doctor', async () => {
    const f = newFake();
    const r = await install(f, ['--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const calls = f.calls();
    expect(calls).toContain(`pkg install -y ${PACKAGES.join(' ')}`);
    expect(calls).toContain('npm ci --no-audit --no-fund');
    expect(calls).toContain('npm run build');
    const stateDir = join(f.project, 'state');
    expect(calls.at(-1), 'ends with doctor').toBe(`node ${f.project}/dist/bot.js doctor --config ${f.project}/config.json --state-dir ${stateDir}`);

    expect(modeOf(stateDir)).toBe(0o700);
    const svc = join(f.prefix, 'var', 'service', 'pocket-scalper');
    const installed = installedScripts(f);
    for (const file of installed) {
      expect(modeOf(file), file).toBe(0o700);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith(`#!${f.prefix}/bin/sh\n`), `${file}: shebang with the real prefix`).toBe(true);
      expect(text, `${file}: no Termux default path left`).not.toContain('/data/data/com.termux');
      expect(text, `${file}: every marker substituted`).not.toMatch(/@[A-Z_]+@/);
    }
    for (const dir of [join(f.home, '.shortcuts'), join(f.home, '.shortcuts', 'tasks'), join(f.home, '.termux', 'boot'), svc]) {
      expect(modeOf(dir), `${dir} (Termux:Widget wants 0700 directories)`).toBe(0o700);
    }
    expect(readdirSync(join(f.home, '.shortcuts', 'tasks')).sort()).toEqual(WIDGETS);
    expect(existsSync(join(svc, 'down')), 'a new service starts disabled: installing never starts trading').toBe(true);
    const run = readFileSync(join(svc, 'run'), 'utf8');
    expect(run).toContain(`exec '${f.prefix}/bin/node' '${f.project}/dist/bot.js' run --config '${f.project}/config.json' --state-dir '${stateDir}'`);
  });

  it.skipIf(shellcheck.skip)(shellcheck.title('the installed copies, prefix substituted, still pass shellcheck'), async () => {
    const f = newFake();
    expect((await install(f, ['--yes'])).code).toBe(0);
    const sc = spawnSync(shellcheck.need(), ['--format=gcc', ...installedScripts(f)], { encoding: 'utf8' });
    expect(sc.stdout + sc.stderr).toBe('');
    expect(sc.status).toBe(0);
  });

  it('a second run changes nothing: same files, modes and contents, and no pkg, npm ci or build', async () => {
    const f = newFake();
    expect((await install(f, ['--yes'])).code).toBe(0);
    const before = f.snapshot();
    f.clearCalls();
    const again = await install(f, ['--yes']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(f.snapshot()).toEqual(before);
    const calls = f.calls();
    expect(calls.filter((c) => /^(pkg|npm) /.test(c)), 'nothing to install, fetch or build').toEqual([]);
    expect(again.stdout).toContain('node_modules matches package-lock.json');
    expect(again.stdout).toContain('dist/bot.js is up to date');
    expect(again.stdout).not.toContain('written:');
  });

  it('asks before each part: answers y, n, y install the service and the widgets but no boot script', async () => {
    const f = newFake(['nodejs-lts']);
    const r = await install(f, [], 'y\nn\ny\n');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(f.calls(), 'node was there already: nodejs-lts is not installed again').toContain('pkg install -y npm termux-api termux-services');
    expect(r.stdout).toMatch(/Install the service .*\[Y\/n\]/);
    expect(existsSync(join(f.prefix, 'var', 'service', 'pocket-scalper', 'run'))).toBe(true);
    expect(existsSync(join(f.home, '.termux', 'boot', 'pocket-scalper'))).toBe(false);
    expect(readdirSync(join(f.home, '.shortcuts', 'tasks')).sort()).toEqual(WIDGETS);
  });

  it('--no (or no answer at all) installs none of them; without the service no boot script or start/stop widgets are offered', async () => {
    const f = newFake([...PACKAGES]);
    const no = await install(f, ['--no']);
    expect(no.code, no.stdout + no.stderr).toBe(0);
    expect(f.calls().some((c) => c.startsWith('pkg ')), 'everything was installed').toBe(false);
    expect(existsSync(join(f.prefix, 'var', 'service', 'pocket-scalper'))).toBe(false);
    expect(existsSync(join(f.home, '.termux'))).toBe(false);
    expect(existsSync(join(f.home, '.shortcuts'))).toBe(false);
    expect(no.stdout).toContain('skipped: the boot script starts the service, which is not installed');

    // stdin at EOF for the service, then widgets: "y" is never read, so still no.
    const eof = await install(f, []);
    expect(eof.code).toBe(0);
    expect(eof.stdout).toContain('(no answer: no)');
    expect(existsSync(join(f.prefix, 'var', 'service', 'pocket-scalper'))).toBe(false);

    const widgetsOnly = await install(f, [], 'n\ny\n');
    expect(widgetsOnly.code).toBe(0);
    expect(readdirSync(join(f.home, '.shortcuts', 'tasks')).sort()).toEqual(['pocket-close-all', 'pocket-pause', 'pocket-resume', 'pocket-status']);
  });

  it('refuses a state directory under $PREFIX/tmp, which Termux erases on every restart', async () => {
    const f = newFake([...PACKAGES]);
    const bad = join(f.prefix, 'tmp', 'state');
    const r = await install(f, ['--no', '--state-dir', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('erases on every restart');
    expect(existsSync(bad)).toBe(false);
  });

  it('a relative --state-dir is taken from where the installer was run, and every script uses it', async () => {
    const f = newFake([...PACKAGES]);
    const r = await f.run(join(f.prefix, 'bin', 'sh'), [join(f.project, 'termux', 'install.sh'), '--yes', '--state-dir', 'bot-state'], { cwd: f.home });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const stateDir = join(f.home, 'bot-state');
    expect(modeOf(stateDir)).toBe(0o700);
    expect(readFileSync(join(f.prefix, 'var', 'service', 'pocket-scalper', 'run'), 'utf8')).toContain(`--state-dir '${stateDir}'`);
    expect(readFileSync(join(f.home, '.shortcuts', 'tasks', 'pocket-pause'), 'utf8')).toContain(`STATE_DIR='${stateDir}'`);
  });

  it('rejects unknown options with the usage text (exit 2)', async () => {
    const f = newFake([...PACKAGES]);
    const r = await install(f, ['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: sh termux/install.sh');
    expect(f.calls()).toEqual([]);
  });

  it('uninstall.sh stops and removes the service, boot script and widgets, and keeps the state', async () => {
    const f = newFake();
    expect((await install(f, ['--yes'])).code).toBe(0);
    f.clearCalls();
    const r = await f.run(join(f.prefix, 'bin', 'sh'), [join(f.project, 'termux', 'uninstall.sh')]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const svdir = join(f.prefix, 'var', 'service');
    expect(f.calls().slice(0, 2)).toEqual([`sv-disable pocket-scalper [SVDIR=${svdir}]`, `sv down pocket-scalper [SVDIR=${svdir}]`]);
    expect(existsSync(join(svdir, 'pocket-scalper'))).toBe(false);
    expect(existsSync(join(f.home, '.termux', 'boot', 'pocket-scalper'))).toBe(false);
    expect(readdirSync(join(f.home, '.shortcuts', 'tasks'))).toEqual([]);
    expect(existsSync(join(f.project, 'state'))).toBe(true);
  });
});
