import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, StatusSnapshot } from '../../src/alerts/Alert.js';
import { AlertConfigError } from '../../src/alerts/AlertConfigError.js';
import { AlertRouter } from '../../src/alerts/AlertRouter.js';
import { TermuxNotificationChannel } from '../../src/alerts/TermuxNotificationChannel.js';
import { makeFakeTermux, manualClock, processAlive, type FakeTermux } from './fakeTermux.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

let fake: FakeTermux;
beforeEach(() => {
  fake = makeFakeTermux();
  fake.record('termux-notification');
  fake.record('termux-notification-remove');
});
afterEach(() => fake.cleanup());

function channel(extra: Partial<ConstructorParameters<typeof TermuxNotificationChannel>[0]> = {}): TermuxNotificationChannel {
  return new TermuxNotificationChannel({
    nodePath: process.execPath,
    botPath: join(fake.root, 'my bot', 'dist', 'bot.js'),
    stateDir: join(fake.root, "state dir's"),
    env: fake.env,
    ...extra,
  });
}

const alert = (a: Omit<Alert, 'ts'>): Alert => ({ ...a, ts: T0 });

describe('termux-notification: one notification per alert, with exact arguments', () => {
  it('maps each alert kind and level to id, group, priority, and sound+vibration for critical', async () => {
    const ch = channel();
    const cases: [Alert, string[]][] = [
      [
        alert({ level: 'trade', kind: 'fill', symbol: 'BTCUSDT', title: 'Filled: BTCUSDT long', body: 'Bought 0.010 @ 97000.5' }),
        ['-t', 'Filled: BTCUSDT long', '-c', 'Bought 0.010 @ 97000.5', '--id', 'pocket-scalper.fill.BTCUSDT', '--group', 'pocket-scalper', '--priority', 'default'],
      ],
      [
        alert({ level: 'trade', kind: 'takeProfit', symbol: 'ETHUSDT', title: 'TP1 hit', body: '+3.20 USDT' }),
        ['-t', 'TP1 hit', '-c', '+3.20 USDT', '--id', 'pocket-scalper.takeProfit.ETHUSDT', '--group', 'pocket-scalper', '--priority', 'default'],
      ],
      [
        alert({ level: 'warning', kind: 'stopLoss', symbol: 'BTCUSDT', title: 'Stopped out', body: '-5.10 USDT' }),
        ['-t', 'Stopped out', '-c', '-5.10 USDT', '--id', 'pocket-scalper.stopLoss.BTCUSDT', '--group', 'pocket-scalper', '--priority', 'high'],
      ],
      [
        alert({ level: 'info', kind: 'breakeven', symbol: 'BTCUSDT', title: 'Stop to breakeven', body: 'SL 97000.5' }),
        ['-t', 'Stop to breakeven', '-c', 'SL 97000.5', '--id', 'pocket-scalper.breakeven.BTCUSDT', '--group', 'pocket-scalper', '--priority', 'low'],
      ],
      [
        alert({ level: 'critical', kind: 'killSwitch', title: 'Kill switch', body: 'Daily loss limit hit' }),
        ['-t', 'Kill switch', '-c', 'Daily loss limit hit', '--id', 'pocket-scalper.killSwitch', '--group', 'pocket-scalper', '--priority', 'max', '--sound', '--vibrate', '500,250,500'],
      ],
      [
        alert({ level: 'warning', kind: 'reconcile', symbol: 'BTCUSDT', title: 'Reconciled', body: 'Exchange has 0.02, we had 0.01' }),
        ['-t', 'Reconciled', '-c', 'Exchange has 0.02, we had 0.01', '--id', 'pocket-scalper.reconcile.BTCUSDT', '--group', 'pocket-scalper', '--priority', 'high'],
      ],
      [
        alert({ level: 'critical', kind: 'clockDistrust', title: 'Clock not trusted', body: 'Offset 2400 ms > 1000 ms' }),
        ['-t', 'Clock not trusted', '-c', 'Offset 2400 ms > 1000 ms', '--id', 'pocket-scalper.clockDistrust', '--group', 'pocket-scalper', '--priority', 'max', '--sound', '--vibrate', '500,250,500'],
      ],
      [
        alert({ level: 'warning', kind: 'streamOutage', title: 'Stream down', body: 'public ws: no data for 30 s' }),
        ['-t', 'Stream down', '-c', 'public ws: no data for 30 s', '--id', 'pocket-scalper.streamOutage', '--group', 'pocket-scalper', '--priority', 'high'],
      ],
      [
        alert({ level: 'warning', kind: 'error', title: 'Order rejected', body: 'Line one\nline "two" $HOME `x`' }),
        ['-t', 'Order rejected', '-c', 'Line one\nline "two" $HOME `x`', '--id', 'pocket-scalper.error', '--group', 'pocket-scalper', '--priority', 'high'],
      ],
    ];
    for (const [a] of cases) expect(await ch.send(a)).toEqual({ status: 'sent' });
    expect(fake.calls('termux-notification'), 'argv as the binary received it, byte for byte').toEqual(cases.map(([, args]) => args));
    expect(fake.calls('termux-notification').every((argv) => argv.includes('-c')), '-c always: without it the script reads stdin for 3 s').toBe(true);
  });

  it('honours configured priorities, group and id prefix', async () => {
    const ch = channel({ priorities: { info: 'min' }, group: 'bot2', idPrefix: 'ps2' });
    await ch.send(alert({ level: 'info', kind: 'dailySummary', title: 'Day', body: '3 trades' }));
    expect(fake.calls('termux-notification')).toEqual([['-t', 'Day', '-c', '3 trades', '--id', 'ps2.dailySummary', '--group', 'bot2', '--priority', 'min']]);
  });

  it('refuses relative paths for the button commands', () => {
    expect(() => channel({ botPath: 'dist/bot.js' })).toThrow(AlertConfigError);
    expect(() => channel({ nodePath: 'node' })).toThrow(/nodePath must be an absolute path/);
  });
});

describe('termux-notification: the ongoing status notification', () => {
  const snapshot: StatusSnapshot = {
    mode: 'testnet',
    paused: false,
    pnlToday: '12.5',
    openPositions: [
      { symbol: 'BTCUSDT', side: 'long' },
      { symbol: 'ETHUSDT', side: 'short' },
    ],
    clockTrusted: true,
    clockOffsetMs: 12.4,
  };

  it('is replaced in place: same id, ongoing, alert-once, three buttons', async () => {
    const ch = channel();
    await ch.postStatus(snapshot);
    await ch.postStatus({ ...snapshot, paused: true, pausedReason: 'owner pressed Pause', pnlToday: '-3.25', openPositions: [], clockTrusted: false, clockOffsetMs: -2400 });
    const calls = fake.calls('termux-notification');
    expect(calls).toHaveLength(2);
    const buttons = ch.buttonCommands();
    const tail = [
      '--id', 'pocket-scalper.status', '--ongoing', '--alert-once', '--priority', 'low',
      '--button1', 'Pause', '--button1-action', buttons.pause,
      '--button2', 'Resume', '--button2-action', buttons.resume,
      '--button3', 'Close all', '--button3-action', buttons.closeAll,
    ];
    expect(calls[0]).toEqual([
      '-t', 'pocket-scalper · testnet · running',
      '-c', 'PnL today: +12.50 USDT\nOpen positions: 2 (BTCUSDT long, ETHUSDT short)\nClock: trusted (offset +12 ms)',
      ...tail,
    ]);
    expect(calls[1]).toEqual([
      '-t', 'pocket-scalper · testnet · PAUSED',
      '-c', 'PnL today: -3.25 USDT\nOpen positions: none\nClock: NOT trusted, not signing (offset -2400 ms)\nPaused: owner pressed Pause',
      ...tail,
    ]);
  });

  it('shows money in cents and each position with its progress', async () => {
    const ch = channel();
    await ch.postStatus({ ...snapshot, pnlToday: '0.23425192', openPositions: [{ symbol: 'BTCUSDT', side: 'long', detail: '1/4 targets, stop 106103.9 (breakeven)' }] });
    await ch.postStatus({ ...snapshot, pnlToday: '-0.006', openPositions: [] });
    const [first, second] = fake.calls('termux-notification');
    expect(first![3]).toBe('PnL today: +0.23 USDT\nOpen positions: 1 (BTCUSDT long (1/4 targets, stop 106103.9 (breakeven)))\nClock: trusted (offset +12 ms)');
    expect(second![3]).toMatch(/^PnL today: -0.01 USDT\n/);
  });

  it('buttons run the bot with absolute paths from sh -c in an empty environment', async () => {
    // A stand-in bot bundle in a directory with spaces, a state dir with a quote: quoting must hold.
    const botPath = join(fake.root, 'my bot', 'dist', 'bot.js');
    mkdirSync(join(fake.root, 'my bot', 'dist'), { recursive: true });
    const ranLog = join(fake.root, 'bot-ran.log');
    writeFileSync(botPath, `require('fs').appendFileSync(${JSON.stringify(ranLog)}, JSON.stringify({ argv: process.argv.slice(2), path: process.env.PATH ?? null }) + '\\n');\n`);
    const ch = channel({ botPath });
    await ch.postStatus(snapshot);
    const argv = fake.calls('termux-notification')[0] ?? [];
    const actions = ['--button1-action', '--button2-action', '--button3-action'].map((flag) => argv[argv.indexOf(flag) + 1] ?? '');
    for (const cmd of actions) {
      expect(cmd.startsWith(`${process.execPath} `) || cmd.startsWith(`'${process.execPath}' `), `absolute node first: ${cmd}`).toBe(true);
      // How Termux runs an action: `sh -c "<cmd>"` in a fresh environment without PATH (termux.md).
      execFileSync('/usr/bin/env', ['-i', '/bin/sh', '-c', cmd], { stdio: 'ignore', timeout: 10_000 });
    }
    const stateDir = join(fake.root, "state dir's");
    const ran = readFileSync(ranLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { argv: string[]; path: string | null });
    expect(ran.map((r) => r.argv)).toEqual([
      ['pause', '--state-dir', stateDir],
      ['resume', '--state-dir', stateDir],
      ['close-all', '--yes', '--state-dir', stateDir],
    ]);
    expect(ran.every((r) => r.path === null || !r.path.includes(fake.binDir)), 'ran without our PATH').toBe(true);
  });

  it('is removed with termux-notification-remove on shutdown', async () => {
    const ch = channel();
    await ch.postStatus(snapshot);
    await ch.close();
    expect(fake.calls('termux-notification-remove')).toEqual([['pocket-scalper.status']]);
  });
});

describe('termux-notification: a binary that hangs or is missing', () => {
  it('marks the channel unavailable within the timeout, never blocks the caller, and recovers with backoff', async () => {
    fake.hang('termux-notification');
    const clock = manualClock(T0);
    const changes: [boolean, string][] = [];
    const ch = channel({ timeoutMs: 500, backoffBaseMs: 15_000, now: clock.now, onAvailabilityChange: (a, d) => changes.push([a, d]) });
    const router = new AlertRouter({ channels: [ch], now: clock.now });

    const started = performance.now();
    const outcome = router.send({ level: 'critical', kind: 'killSwitch', title: 'Kill switch', body: 'daily loss' });
    expect(performance.now() - started, 'send returns at once (well under the 500 ms hang): the trading loop is not held').toBeLessThan(250);
    expect(outcome.status).toBe('routed');
    if (outcome.status !== 'routed') return;
    const [report] = await outcome.deliveries;
    const elapsedMs = performance.now() - started;
    expect(report?.result.status).toBe('failed');
    expect(elapsedMs, 'unavailable well within 10 s').toBeLessThan(5000);
    expect(ch.available).toBe(false);
    expect(ch.retryAtMs).toBe(T0 + 15_000);
    expect(changes[0]?.[0]).toBe(false);
    expect(changes[0]?.[1]).toMatch(/no answer within 500 ms/);
    // The whole process group was killed: no hung children pile up on the phone.
    const pids = fake.hungPids('termux-notification');
    expect(pids).toHaveLength(2);
    await expect.poll(() => pids.filter(processAlive), { timeout: 2000 }).toEqual([]);

    // While backing off, nothing is spawned and nothing waits.
    const t1 = performance.now();
    const skipped = await ch.send(alert({ level: 'trade', kind: 'fill', title: 'Filled', body: 'x' }));
    expect(skipped.status).toBe('skipped');
    expect(performance.now() - t1).toBeLessThan(100);
    expect(fake.hungPids('termux-notification')).toHaveLength(2);

    // A status posted during the outage is re-posted when the binary works again.
    await ch.postStatus({ mode: 'paper', paused: false, pnlToday: '0', openPositions: [], clockTrusted: true });
    fake.record('termux-notification');
    clock.advance(15_000);
    expect(await ch.send(alert({ level: 'trade', kind: 'fill', title: 'Filled', body: 'after recovery' }))).toEqual({ status: 'sent' });
    await ch.idle();
    expect(ch.available).toBe(true);
    expect(changes.map(([a]) => a)).toEqual([false, true]);
    const calls = fake.calls('termux-notification');
    expect(calls.map((c) => c[c.indexOf('--id') + 1])).toEqual(['pocket-scalper.fill', 'pocket-scalper.status']);
  });

  it('doubles the backoff while probes keep failing', async () => {
    fake.hang('termux-notification');
    const clock = manualClock(T0);
    const ch = channel({ timeoutMs: 300, backoffBaseMs: 1000, backoffMaxMs: 3000, now: clock.now });
    await ch.send(alert({ level: 'info', kind: 'status', title: 'a', body: 'b' }));
    expect(ch.retryAtMs).toBe(T0 + 1000);
    clock.advance(1000);
    await ch.send(alert({ level: 'info', kind: 'status', title: 'a', body: 'b' }));
    expect(ch.retryAtMs).toBe(T0 + 1000 + 2000);
    clock.advance(2000);
    await ch.send(alert({ level: 'info', kind: 'status', title: 'a', body: 'b' }));
    expect(ch.retryAtMs, 'capped at backoffMaxMs').toBe(T0 + 3000 + 3000);
  });

  it('treats a missing binary (ENOENT) as unavailable, with a hint', async () => {
    fake.remove('termux-notification');
    const changes: string[] = [];
    const ch = channel({ env: { PATH: fake.binDir }, onAvailabilityChange: (_a, d) => changes.push(d) });
    const result = await ch.send(alert({ level: 'warning', kind: 'error', title: 'x', body: 'y' }));
    expect(result).toEqual({ status: 'failed', error: expect.stringMatching(/not found on PATH.*pkg install termux-api/) });
    expect(ch.available).toBe(false);
    expect(changes).toHaveLength(1);
  });

  it('reports a non-zero exit as a failed notification without giving up on the channel', async () => {
    fake.record('termux-notification', { exitCode: 1 });
    const ch = channel();
    const result = await ch.send(alert({ level: 'warning', kind: 'error', title: 'x', body: 'y' }));
    expect(result).toEqual({ status: 'failed', error: 'termux-notification: exited with code 1' });
    expect(ch.available).toBe(true);
  });
});
