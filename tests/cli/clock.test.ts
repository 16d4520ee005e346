import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clockCommand } from '../../src/cli/clock.js';
import type { CommandIo } from '../../src/cli/command.js';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { startBybitTimeServer, type BybitTimeServer } from '../clock/bybitTimeServer.js';

/** A working directory without config.json, so the command uses its built-in defaults. */
const emptyDir = mkdtempSync(join(tmpdir(), 'pocket-clock-cli-'));

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function runClock(args: string[], cwd = emptyDir): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CommandIo = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd };
  const code = await clockCommand.run(args, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('clock command (in process, loopback NTP and Bybit time servers)', () => {
  let ntpA: NtpResponder;
  let ntpB: NtpResponder;
  let exchange: BybitTimeServer;
  beforeAll(async () => {
    // The machine clock is 1.5 s fast: true time is 1500 ms behind it.
    ntpA = await startNtpResponder({ offsetMs: -1500 });
    ntpB = await startNtpResponder({ offsetMs: -1500, delayMs: 5 });
    exchange = await startBybitTimeServer(-1500);
  });
  afterAll(async () => {
    await Promise.all([ntpA.close(), ntpB.close(), exchange.close()]);
  });

  it('--json prints one JSON document with the offset, servers and exchange offset, and exits 0 when trusted', async () => {
    const { code, stdout, stderr } = await runClock([
      '--ntp', `127.0.0.1:${ntpA.port}`, '--ntp', `127.0.0.1:${ntpB.port}`, '--exchange', exchange.url, '--samples', '4', '--json',
    ]);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n'), 'exactly one line, one document').toHaveLength(1);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(code).toBe(0);
    expect(doc.trusted).toBe(true);
    expect(Math.abs((doc.offsetMs as number) + 1500)).toBeLessThanOrEqual(10);
    const exchangeCheck = doc.exchange as { uncertaintyMs: number };
    expect(Math.abs((doc.exchangeOffsetMs as number) + 1500), 'within half the round trip').toBeLessThanOrEqual(exchangeCheck.uncertaintyMs + 1);
    expect(typeof doc.delayMs).toBe('number');
    expect(typeof doc.uncertaintyMs).toBe('number');
    expect(doc.reasons).toEqual([]);
    const servers = doc.servers as { server: string; ok: boolean; offsetMs: number }[];
    expect(servers.map((s) => s.server)).toEqual([`127.0.0.1:${ntpA.port}`, `127.0.0.1:${ntpB.port}`]);
    expect(servers.every((s) => s.ok)).toBe(true);
  });

  it('takes its NTP servers and limits from config.json in the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocket-clock-config-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ clock: { ntpServers: [`127.0.0.1:${ntpB.port}`], samplesPerServer: 2 }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }));
    const { code, stdout } = await runClock(['--json'], dir);
    const doc = JSON.parse(stdout) as { servers: { server: string }[] };
    expect(code).toBe(0);
    expect(doc.servers.map((s) => s.server)).toEqual([`127.0.0.1:${ntpB.port}`]);
    writeFileSync(join(dir, 'config.json'), '{"clock": {"ntpServers": []}, "symbols": []}');
    const bad = await runClock(['--json'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/clock\.ntpServers: expected at least one NTP server/);
  });

  it('exits 1 with trusted:false and the reason when NTP and the exchange disagree', async () => {
    exchange.offsetMs = 0;
    try {
      const { code, stdout } = await runClock(['--ntp', `127.0.0.1:${ntpA.port}`, '--exchange', exchange.url, '--json']);
      const doc = JSON.parse(stdout) as { trusted: boolean; reasons: { code: string }[]; disagreementMs: number };
      expect(code).toBe(1);
      expect(doc.trusted).toBe(false);
      expect(doc.reasons.map((r) => r.code)).toEqual(['disagreement']);
      expect(doc.disagreementMs).toBeGreaterThan(1400);
    } finally {
      exchange.offsetMs = -1500;
    }
  });

  it('exits 1 with offsetMs null and each server\'s error when nothing answers', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const deadPort = socket.address().port;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    const { code, stdout } = await runClock(['--ntp', `127.0.0.1:${deadPort}`, '--timeout-ms', '300', '--json']);
    const doc = JSON.parse(stdout) as { trusted: boolean; offsetMs: number | null; servers: { error: string }[]; error: string };
    expect(code).toBe(1);
    expect(doc).toMatchObject({ trusted: false, offsetMs: null });
    expect(doc.servers[0]?.error).toMatch(/ECONNREFUSED/);
    expect(doc.error).toMatch(/no NTP server gave a usable reply/);
  });

  it('without --json writes a human report to stderr and nothing to stdout', async () => {
    const { code, stdout, stderr } = await runClock(['--ntp', `127.0.0.1:${ntpA.port}`, '--exchange', exchange.url]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/clock offset -1\d{3}\.\d ms \(this machine is 1\d{3}\.\d ms ahead of true time\)/);
    expect(stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${ntpA.port} +offset`));
    expect(stderr).toMatch(/exchange http:\/\/127\.0\.0\.1:\d+: offset -1\d{3}\.\d ms/);
    expect(stderr).toMatch(/trusted: the bot would sign with corrected time/);
  });

  it('exits 2 on usage errors and prints usage on --help', async () => {
    const unknown = await runClock(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
    const badPort = await runClock(['--ntp', 'host:99999']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/port must be a whole number from 1 to 65535/);
    const badUrl = await runClock(['--ntp', '127.0.0.1:1', '--exchange', 'not a url']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/is not a URL/);
    expect((await runClock(['--samples', '0'])).code).toBe(2);
    const help = await runClock(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout, 'stdout is for --json only').toBe('');
    expect(help.stderr).toContain('Usage: node dist/bot.js clock [--ntp host[:port]]... [--exchange URL] [--json]');
    expect(clockCommand.name).toBe('clock');
  });
});
