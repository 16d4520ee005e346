/**
 * The README's commands, exactly as printed: every line of every ```sh block is either run here,
 * in a fresh copy of the repository's files with the freshly built bundle as dist/bot.js, or named
 * below as needing the network, a terminal or npm. A `run` must still be running at its deadline
 * and stop cleanly on Ctrl-C (SIGINT to its process group); every other command must exit 0 in time.
 * What each command shows is checked the way its reader would look at it.
 */
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFakeTermux, type FakeTermux } from '../alerts/fakeTermux.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT } from '../helpers/cli.js';

/** Lines the test does not run, and why (a new README command must be added here or run). */
const NOT_RUN: Readonly<Record<string, string>> = {
  'npm ci && npm run build && node dist/bot.js config check': 'npm ci needs the registry; the bundle is built by the test and `config check` is run on its own below',
  'node dist/bot.js init': 'the wizard needs a terminal (tests/cli/wizard.test.ts drives it)',
  'node dist/bot.js run': 'paper mode reads Bybit live market data over the internet',
  'npm test': 'this suite',
  'sudo apt-get install -y shellcheck chromium             # Debian (as root: without sudo)': 'installs system packages (root and the network); tests/helpers/externalTool.ts checks the tools they bring',
  'pkg install shellcheck && pkg install x11-repo && pkg install chromium   # Termux': 'Termux only, and needs the network',
  'npm test            # vitest': 'this suite',
  'npm run build       # esbuild bundles (no type-check; runs on Termux too)': 'the test builds the bundle itself',
  'npm run typecheck   # tsc --noEmit (TypeScript 7, strict)': 'run by CI',
  'npm run bench       # benchmarks; writes bench/results.json (about 15 minutes)': 'about 15 minutes',
  'npm run soak        # 30 minutes against the sandbox with random faults, then checks': '30 minutes',
};

/** Commands the quick start's first line chains; its `config check` part runs on its own. */
const EXTRA = ['node dist/bot.js config check'];

const RUN_DEADLINE_MS = 25_000;

function readmeLines(): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines: string[] = [];
  for (const block of text.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const line of block[1]!.split('\n')) if (line.trim() !== '') lines.push(line.trim());
  }
  return lines;
}

interface Outcome {
  readonly code: number | null;
  readonly output: string;
  /** `run` only: still running when the deadline came. */
  readonly aliveAtDeadline?: boolean;
}

let dir: string;
let termux: FakeTermux;
const outcomes = new Map<string, Outcome>();

function runLine(line: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const isRun = / dist\/bot\.js run\b/.test(line);
  return new Promise((resolve, reject) => {
    // Its own process group, as a terminal gives a command: Ctrl-C is SIGINT to the group. bash,
    // like the owner's interactive shell, leaves the exit code to the command (it execs a single one).
    const child = spawn('bash', ['-c', line], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let aliveAtDeadline: boolean | undefined;
    const deadline = setTimeout(
      () => {
        if (isRun) aliveAtDeadline = child.exitCode === null;
        // Ctrl-C for a run; a command past its timeout is stopped the same way and fails below.
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch {
          /* already gone */
        }
        setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 15_000).unref();
      },
      isRun ? RUN_DEADLINE_MS : 120_000,
    );
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, output, ...(isRun ? { aliveAtDeadline: aliveAtDeadline ?? false } : {}) });
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-readme-'));
  // A fresh copy of the repository's files (what a clone has), and the bundle `npm run build` makes.
  for (const file of execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  mkdirSync(join(dir, 'dist'), { recursive: true });
  copyFileSync(builtBundle('bot'), join(dir, 'dist', 'bot.js'));
  termux = makeFakeTermux('pocket-readme-termux-');
  termux.record('termux-notification');
  termux.record('termux-notification-remove');
  const env = cleanEnv({ PATH: `${termux.binDir}:${process.env.PATH ?? ''}`, NO_COLOR: '1' });
  const lines = readmeLines();
  for (const line of [...EXTRA, ...lines.filter((l) => !(l in NOT_RUN))]) outcomes.set(line, await runLine(line, env));
}, 600_000);

afterAll(() => {
  termux?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const find = (re: RegExp): [string, Outcome] => {
  const hit = [...outcomes].find(([line]) => re.test(line));
  if (!hit) throw new Error(`the README prints no command matching ${re}`);
  return hit;
};

describe("the README's commands, run as printed", () => {
  it('runs every sh line or says why not, and each behaves: exit 0, or a run still running at its deadline that stops cleanly on Ctrl-C', () => {
    const lines = readmeLines();
    const unknown = lines.filter((l) => !l.startsWith('node dist/bot.js') && !(l in NOT_RUN));
    expect(unknown, 'a README command the test neither runs nor explains').toEqual([]);
    expect(outcomes.size).toBeGreaterThanOrEqual(6);
    for (const [line, o] of outcomes) {
      if (o.aliveAtDeadline !== undefined) expect(o.aliveAtDeadline, `${line} still running at the deadline\n${o.output.slice(-2000)}`).toBe(true);
      expect(o.code, `${line}\n${o.output.slice(-2000)}`).toBe(0);
    }
  });

  it('the Quick start rehearsal trades the symbol it has data for, says once which it skips, and shows each trade', () => {
    const [, o] = find(/run --replay data\/bybit-BTCUSDT-1m\.csv\.gz --speed/);
    expect(o.output.match(/no data for ETHUSDT/g), 'said once').toHaveLength(1);
    expect(o.output).toMatch(/running mode=replay symbols=BTCUSDT:scalper stateDir=/);
    expect(o.output).toMatch(/BTCUSDT (long|short) opened: [\d.]+ @ [\d.]+, stop [\d.]+, targets /);
    expect(o.output).toMatch(/BTCUSDT (long|short) closed (at|by) [a-z ]+: PnL [+-]\d+\.\d\d USDT/);
    expect(o.output, 'refused signals go to the debug log').not.toMatch(/signal not traded/);
    // The README's warm-up figure is the one the bot prints.
    const readme = /warmed up on (\d+) candles/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1];
    expect(o.output).toContain(`BTCUSDT ready: warmed up on ${readme} candles`);
    expect(o.output).not.toMatch(/camelCase|restartRequired/);
  });

  it('two files replay both symbols', () => {
    const [, o] = find(/run --replay data\/bybit-BTCUSDT-1m\.csv\.gz,data\/bybit-ETHUSDT-1m\.csv\.gz/);
    expect(o.output).toMatch(/running mode=replay symbols="BTCUSDT:scalper,ETHUSDT:maker" /);
    expect(o.output).not.toMatch(/no data for/);
  });

  it('status after a replay says replay; signals has the pivot column; the sweep names the locks that refused entries', () => {
    expect(find(/dist\/bot\.js status$/)[1].output).toMatch(/mode\s+replay/);
    const csv = readFileSync(join(dir, 'signals.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('ts,close,rsi,stochK,stochD,pivotHigh,pivotLow,signal,pivot');
    expect(csv.some((r) => /,(long|short),\d/.test(r))).toBe(true);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);

    const sweep = find(/--set proximityPct=0\.2,0\.3,0\.5 --set cooldownCandles=3,10/)[1].output;
    expect(sweep).toMatch(/#\s+net\s+shrp\s+dd%\s+trd locks/);
    // Each run: a numbers row, its label, and the locks' line.
    const rows = new Map<string, string>();
    const lines = sweep.split('\n');
    lines.forEach((l, i) => {
      const label = /^\s+(proximityPct=\S+ cooldownCandles=\S+)$/.exec(l);
      if (label) rows.set(label[1]!, `${lines[i - 1]!.replace(/^\s*\d+/, '')} | ${lines[i + 1]}`);
    });
    expect(rows.size).toBe(6);
    const a = rows.get('proximityPct=0.3 cooldownCandles=3')!;
    const b = rows.get('proximityPct=0.5 cooldownCandles=3')!;
    expect(a.split(' | ')[0], 'the same trades, as the README says').toBe(b.split(' | ')[0]);
    expect(a).toMatch(/dd.*refused by locks: .*drawdown \d+/);
  });

  it('notifications are written for people: words, cents, no "Clock trusted again" at start, at most two per trade', () => {
    const posted = termux.calls('termux-notification').filter((a) => !a.includes('--ongoing'));
    const statuses = termux.calls('termux-notification').filter((a) => a.includes('--ongoing'));
    const text = (args: string[]) => `${args[args.indexOf('-t') + 1]} | ${args[args.indexOf('-c') + 1]}`;
    expect(posted.length).toBeGreaterThan(0);
    // camelCase words, except a config path the owner is told to edit (params.orderQty).
    for (const a of [...posted, ...statuses]) expect(text(a)).not.toMatch(/(?<![.\w])[a-z]+[A-Z][a-z]+\b(?!\.)/);
    expect(posted.map(text).join('\n')).not.toMatch(/Clock trusted again/);
    for (const a of statuses) expect(text(a)).toMatch(/PnL today: (\+|-)?\d+\.\d\d USDT/);
    const opened = posted.filter((a) => / opened$/.test(a[a.indexOf('-t') + 1]!)).length;
    const closed = posted.filter((a) => / closed /.test(a[a.indexOf('-t') + 1]!)).length;
    const progress = posted.filter((a) => /target \d filled|stop to breakeven/.test(a[a.indexOf('-t') + 1]!)).length;
    expect(opened).toBeGreaterThan(0);
    expect(closed).toBeGreaterThan(0);
    expect(progress, 'targets and stop moves update the ongoing notification').toBe(0);
  });
});
