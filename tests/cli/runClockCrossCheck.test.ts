/**
 * Issue 20, item 5, as a user meets it: `node dist/bot.js run` in testnet mode against the sandbox,
 * its NTP server lying (+3 s) while Bybit (the sandbox) tells the truth. The bot must not exit, must
 * sign nothing, must say why once, `status --json` must say untrusted and why, and once NTP tells the
 * truth it starts trading by itself. REST goes through a counting proxy on loopback, so "signed
 * nothing" is what reached the exchange, not what the bot says about itself.
 */
import { spawn } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNtpResponder, type NtpResponder } from '../../src/clock/ntpResponder.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, runBot } from '../helpers/cli.js';

const KEY = { apiKey: 'goodKey12345', apiSecret: 'good-secret-for-tests-only', ips: ['127.0.0.1'] };

interface Seen {
  readonly path: string;
  readonly signed: boolean;
  readonly retCode: number | null;
}

/** A loopback HTTP proxy to the sandbox's REST port that records each request and its retCode. */
async function countingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          const text = Buffer.concat(body).toString();
          let retCode: number | null = null;
          try {
            retCode = (JSON.parse(text) as { retCode?: number }).retCode ?? null;
          } catch {
            // Not JSON: recorded without a code.
          }
          seen.push({ path: req.url ?? '', signed: req.headers['x-bapi-sign'] !== undefined, retCode });
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(text);
        });
      });
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let sandbox: Sandbox;
let liar: NtpResponder;
let proxy: Awaited<ReturnType<typeof countingProxy>>;
let bundle: string;
let dir: string;

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], apiKeys: [KEY] });
  liar = await startNtpResponder({ offsetMs: 3000 });
  proxy = await countingProxy(sandbox.restUrl);
  dir = mkdtempSync(join(tmpdir(), 'pocket-clockx-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      mode: 'testnet',
      exchange: { restUrl: proxy.url, wsPublicUrl: sandbox.wsPublicUrl, wsPrivateUrl: sandbox.wsPrivateUrl },
      clock: { ntpServers: [`127.0.0.1:${liar.port}`], samplesPerServer: 2 },
      alerts: { termux: { enabled: false } },
      battery: { enabled: false },
      symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }],
    }),
  );
});
afterAll(async () => {
  await proxy.close();
  await liar.close();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, output: () => string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = (text: string, pattern: RegExp): number => text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;

describe('node dist/bot.js run (testnet, sandbox) with NTP answering +3 s', () => {
  it('waits without signing or exiting, says why once, shows it in status --json, and trades once NTP is right', async () => {
    const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until('the bot to refuse the clock', () => /clock not trusted: not signing/.test(output), () => output, 20_000);
      // The clock re-measures meanwhile (after 2 s, 4 s): the bot stays up and says it no more.
      await new Promise((r) => setTimeout(r, 7000));
      expect(child.exitCode, `the bot must wait, not exit:\n${output}`).toBeNull();
      expect(count(output, /clock not trusted: not signing/), 'said once').toBe(1);
      expect(output).toMatch(/clock not trusted: not signing reasons="?NTP and the exchange's time disagree by (29|30)\d\d\.\d ms/);
      expect(proxy.seen.filter((s) => s.path.startsWith('/v5/market/time')).length, 'Bybit time is read each round').toBeGreaterThanOrEqual(4);
      expect(proxy.seen.filter((s) => s.signed), 'nothing signed while untrusted').toEqual([]);

      const status = await runBot(['status', '--json'], { cwd: dir });
      expect(status.code).toBe(0);
      const doc = JSON.parse(status.stdout) as { clock: { trusted: boolean; reasons: string[] } };
      expect(doc.clock.trusted).toBe(false);
      expect(doc.clock.reasons.join('\n')).toMatch(/NTP and the exchange's time disagree/);

      liar.setOffsetMs(0);
      await until('trading to start by itself', () => /running mode=testnet/.test(output), () => output, 30_000);
      expect(output).toMatch(/clock trusted/);
      expect(proxy.seen.some((s) => s.signed), 'signing once trusted').toBe(true);
      expect(proxy.seen.filter((s) => s.retCode === 10002), 'and no request was refused for its timestamp').toEqual([]);
      const after = JSON.parse((await runBot(['status', '--json'], { cwd: dir })).stdout) as { clock: { trusted: boolean; reasons: string[] } };
      expect(after.clock).toMatchObject({ trusted: true, reasons: [] });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 90_000);

  it('SIGTERM while waiting for a trusted clock stops cleanly (exit 0), having signed nothing', async () => {
    liar.setOffsetMs(3000);
    const before = proxy.seen.length;
    const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    await until('the bot to refuse the clock', () => /clock not trusted: not signing/.test(output), () => output, 20_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopped \(SIGTERM\) while waiting for a trusted clock; nothing was signed/);
    expect(proxy.seen.slice(before).filter((s) => s.signed)).toEqual([]);
  }, 40_000);
});
