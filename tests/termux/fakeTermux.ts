/**
 * A fake Termux on this machine (issue 10 "done when"): a temporary directory serves as $PREFIX and
 * $HOME, `$PREFIX/bin` holds the few system tools the scripts use (as Termux's coreutils live there)
 * and stub executables that append each call to a log: `pkg` (which "installs" a package by copying
 * its stubs into the prefix), `npm`, `sv`, `sv-enable`, `sv-disable`, `service-daemon`, `svlogger`,
 * `termux-wake-lock`, `termux-notification`, `termux-dialog`, `sleep` (returns at once so retry
 * loops run fast). `node` is a stub that logs and then execs the real node. PATH is `$PREFIX/bin`
 * alone, so nothing of the host's (its node, npm) leaks in.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Tools the scripts (and the stubs) call, linked from the host into $PREFIX/bin. */
const TOOLS = ['sh', 'cat', 'sed', 'mkdir', 'chmod', 'cmp', 'mv', 'rm', 'cp', 'find', 'head', 'dirname', 'timeout', 'touch', 'ls', 'tr', 'grep', 'env'];

/** Packages the stub `pkg` can install, and the executables each provides. */
export const PACKAGES = ['nodejs-lts', 'npm', 'termux-api', 'termux-services'] as const;
export type FakePackage = (typeof PACKAGES)[number];

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface FakeTermux {
  readonly root: string;
  readonly prefix: string;
  readonly home: string;
  /** The project checkout: `$HOME/pocket-scalper`. */
  readonly project: string;
  /** Environment of a Termux shell: PATH=$PREFIX/bin only. */
  readonly env: NodeJS.ProcessEnv;
  /** Control files the stubs read (e.g. `sv-fail` = how many `sv` calls fail first, `dialog` = termux-dialog's answer). */
  readonly ctl: string;
  calls(): string[];
  clearCalls(): void;
  /** Runs an executable (its shebang decides the interpreter) and collects its output. */
  run(file: string, args: readonly string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Path, type, mode, size and content hash of everything under $PREFIX and $HOME, sorted. */
  snapshot(): string[];
  cleanup(): void;
}

function hostTool(name: string): string {
  for (const dir of ['/usr/bin', '/bin']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`the host has no ${name}, which the fake Termux needs`);
}

/**
 * Shell lines that append `name arg1 arg2 …` (and, for the sv family, the SVDIR it saw) to the log,
 * one line per call: line breaks inside an argument are written as a literal \n.
 */
function recorder(calls: string, name: string, withSvdir: boolean): string {
  const sed = hostTool('sed');
  const tail = withSvdir ? `printf ' [SVDIR=%s]' "$SVDIR"; ` : '';
  const oneLine = `"$(printf '%s' "$a" | ${sed} -e ':a' -e 'N' -e '$!ba' -e 's/\\n/\\\\n/g')"`;
  return `{ printf '%s' '${name}'; for a in "$@"; do printf ' %s' ${oneLine}; done; ${tail}printf '\\n'; } >>'${calls}'`;
}

export interface FakeTermuxOptions {
  /** Packages already installed. Default none (a fresh Termux). */
  readonly installed?: readonly FakePackage[];
  /** config.json of the project. */
  readonly config: Record<string, unknown>;
  /** The bot bundle the stub `npm run build` puts in dist/ (a real build, made by the test). */
  readonly botBundle: string;
}

export function createFakeTermux(opts: FakeTermuxOptions): FakeTermux {
  const root = mkdtempSync(join(tmpdir(), 'pocket-termux-'));
  const prefix = join(root, 'usr');
  const home = join(root, 'home');
  const project = join(home, 'pocket-scalper');
  const ctl = join(root, 'ctl');
  const repo = join(root, 'repo');
  const callsFile = join(ctl, 'calls.log');
  for (const d of [join(prefix, 'bin'), join(prefix, 'tmp'), join(prefix, 'var'), home, ctl, repo]) mkdirSync(d, { recursive: true });
  writeFileSync(callsFile, '');
  for (const tool of TOOLS) symlinkSync(hostTool(tool), join(prefix, 'bin', tool));

  const stub = (dir: string, name: string, body: string): void => {
    mkdirSync(dir, { recursive: true });
    const svFamily = name === 'sv' || name.startsWith('sv-') || name === 'service-daemon';
    writeFileSync(join(dir, name), `#!/bin/sh\n${recorder(callsFile, name, svFamily)}\n${body}\n`, { mode: 0o755 });
  };
  const bin = join(prefix, 'bin');

  // Always there in Termux (termux-tools), and the stub sleep.
  stub(bin, 'termux-wake-lock', '');
  stub(bin, 'termux-wake-unlock', '');
  stub(bin, 'sleep', '');
  stub(
    bin,
    'pkg',
    `[ "$1" = install ] || exit 1\nshift\n[ "$1" = -y ] && shift\nfor p in "$@"; do cp -R '${repo}'/"$p"/. '${prefix}'/ || exit 100; done`,
  );

  const pkgBin = (p: FakePackage): string => join(repo, p, 'bin');
  stub(pkgBin('nodejs-lts'), 'node', `exec '${process.execPath}' "$@"`);
  stub(
    pkgBin('npm'),
    'npm',
    [
      'case "$1" in',
      `  ci) mkdir -p node_modules && cp package-lock.json node_modules/.package-lock.json ;;`,
      `  run) [ "$2" = build ] || exit 1; mkdir -p dist && cp '${opts.botBundle}' dist/bot.js ;;`,
      '  *) exit 1 ;;',
      'esac',
    ].join('\n'),
  );
  stub(pkgBin('termux-api'), 'termux-notification', '');
  stub(pkgBin('termux-api'), 'termux-battery-status', `echo '{"percentage": 80, "plugged": "UNPLUGGED", "status": "DISCHARGING", "temperature": 30}'`);
  stub(pkgBin('termux-api'), 'termux-dialog', `cat '${join(ctl, 'dialog')}' 2>/dev/null || echo '{"code": -1, "text": "no"}'`);
  // sv fails as many times as ctl/sv-fail says (runsv not up yet), then succeeds.
  stub(
    pkgBin('termux-services'),
    'sv',
    [
      `n=$(cat '${join(ctl, 'sv-fail')}' 2>/dev/null || echo 0)`,
      `if [ "$n" -gt 0 ]; then echo $((n - 1)) >'${join(ctl, 'sv-fail')}'; echo "warning: pocket-scalper: unable to open supervise/ok" >&2; exit 1; fi`,
      `if [ "$1" = status ]; then echo "run: pocket-scalper: (pid 4242) 99s"; fi`,
    ].join('\n'),
  );
  stub(pkgBin('termux-services'), 'sv-enable', '[ -n "$SVDIR" ] || exit 1\nrm -f "$SVDIR/$1/down"\nsv up "$1"');
  stub(pkgBin('termux-services'), 'sv-disable', '[ -n "$SVDIR" ] || exit 1\ntouch "$SVDIR/$1/down"\nsv down "$1"');
  stub(pkgBin('termux-services'), 'service-daemon', '');
  // svlogger as termux-services ships it: the service name from $PWD, output to $LOGDIR/sv/NAME/current.
  stub(
    join(repo, 'termux-services', 'share', 'termux-services'),
    'svlogger',
    'pwd=${PWD%/*}\nservice=${pwd##*/}\nmkdir -p "$LOGDIR/sv/$service"\nexec cat >>"$LOGDIR/sv/$service/current"',
  );
  mkdirSync(join(repo, 'termux-services', 'var', 'service'), { recursive: true });
  for (const p of opts.installed ?? []) cpSync(join(repo, p), prefix, { recursive: true });

  // The project: the real termux/ scripts, the lock file, and a config of the test's choosing.
  mkdirSync(project);
  cpSync(join(REPO, 'termux'), join(project, 'termux'), { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(REPO, f), join(project, f));
  writeFileSync(join(project, 'config.json'), JSON.stringify(opts.config, null, 2) + '\n');

  const env: NodeJS.ProcessEnv = { PATH: bin, PREFIX: prefix, HOME: home, TMPDIR: join(prefix, 'tmp'), NO_COLOR: '1' };

  return {
    root,
    prefix,
    home,
    project,
    env,
    ctl,
    calls: () => readFileSync(callsFile, 'utf8').split('\n').filter((l) => l !== ''),
    clearCalls: () => writeFileSync(callsFile, ''),
    run(file, args, o = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(file, [...args], { cwd: o.cwd ?? project, env: o.env ?? env, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 30_000);
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
        // A child that exits before reading its input (a bot refusing to start) closes the pipe: not an error here.
        child.stdin.on('error', () => {});
        child.stdin.end(o.input ?? '');
      });
    },
    snapshot() {
      const out: string[] = [];
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir).sort()) {
          const path = join(dir, name);
          const st = lstatSync(path);
          const rel = path.slice(root.length);
          const mode = (st.mode & 0o7777).toString(8);
          if (st.isSymbolicLink()) out.push(`${rel} link ${readlinkSync(path)}`);
          else if (st.isDirectory()) {
            out.push(`${rel}/ dir ${mode}`);
            walk(path);
          } else out.push(`${rel} file ${mode} ${st.size} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
        }
      };
      walk(prefix);
      walk(home);
      return out;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Mode bits of a path, e.g. 0o700. */
export function modeOf(path: string): number {
  return lstatSync(path).mode & 0o777;
}
