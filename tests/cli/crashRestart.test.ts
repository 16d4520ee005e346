/**
 * Issue 7's crash test: the real bot (the bundle, testnet mode) trades against the sandbox on
 * loopback; it is SIGKILLed at seeded random moments around its entries and started again, 30
 * times. After each restart every open position must carry an exchange stop within 5 s; at the
 * end no order was sent twice and the journal holds every fill the exchange made.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FillRecord } from '../../src/domain/journalRecord.js';
import { parseOrderLinkId } from '../../src/engine/orderLinkId.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/startSandbox.js';
import { readJournal } from '../../src/state/journal.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT, writeSandboxConfig } from '../helpers/cli.js';

const SEEDS = 30;
const KEY = { apiKey: 'crashKey12345', apiSecret: 'crash-secret-for-tests-only', ips: ['127.0.0.1'] };

let sandbox: Sandbox;
let bundle: string;
let dir: string;

beforeAll(async () => {
  bundle = builtBundle('bot');
  sandbox = await startSandbox({ data: [join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz')], ntpPort: 0, speed: 600, apiKeys: [KEY], initialBalance: '1000' });
  dir = mkdtempSync(join(tmpdir(), 'pocket-crash-'));
  writeSandboxConfig(dir, sandbox, { leverage: 5 });

});
afterAll(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Mulberry32: the kill moments are random but the same for a given seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Bot {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | null>;
}

function startBot(): Bot {
  const child = spawn(process.execPath, [bundle, 'run'], { cwd: dir, env: cleanEnv({ BYBIT_API_KEY: KEY.apiKey, BYBIT_API_SECRET: KEY.apiSecret }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function until(what: string, cond: () => boolean, timeoutMs: number, bot?: Bot): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${bot ? `; bot output:\n${bot.output().slice(-3000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const entryOrders = () => sandbox.sim.orders('BTCUSDT').filter((o) => parseOrderLinkId('ps', o.orderLinkId)?.role.kind === 'entry');

describe('SIGKILL around entries, restart (issue 7)', () => {
  it(`keeps every position protected and sends nothing twice over ${SEEDS} kills`, async () => {
    let bot = startBot();
    await until('the bot to start', () => /running mode=testnet/.test(bot.output()), 20_000, bot);
    const unprotectedAfterRestart: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const random = prng(seed);
      // Wait for the next entry the bot sends (or a while), then kill it shortly after: before,
      // during or after the entry's fill, its stop and its ladder, depending on the seed.
      const before = entryOrders().length;
      const end = Date.now() + 8000;
      while (entryOrders().length === before && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
      bot.child.kill('SIGKILL');
      await bot.exited;

      bot = startBot();
      const restarted = Date.now();
      await until('the bot to restart', () => /running mode=testnet/.test(bot.output()), 20_000, bot);
      // Within 5 s of the restart, an open position has its stop on the exchange.
      while (Date.now() - restarted < 5000) {
        const p = sandbox.sim.position('BTCUSDT');
        if (p.side === null || p.stopLoss !== null || p.trailingStop !== null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const p = sandbox.sim.position('BTCUSDT');
      if (p.side !== null && p.stopLoss === null && p.trailingStop === null) unprotectedAfterRestart.push(`seed ${seed}: ${p.side} ${p.size.toFixed()}`);
    }
    bot.child.kill('SIGTERM');
    expect(await bot.exited).toBe(0);

    expect(unprotectedAfterRestart, 'positions still without an exchange stop 5 s after a restart').toEqual([]);
    const entries = entryOrders();
    expect(entries.length, 'the bot traded during the test').toBeGreaterThan(5);
    // No intent was sent twice: one entry per decision stamp, and never an old decision re-sent
    // after a restart (creation order follows decision order).
    const stamps = entries.map((o) => parseOrderLinkId('ps', o.orderLinkId)!.stampMs);
    expect(new Set(stamps).size).toBe(stamps.length);
    const byCreation = [...entries].sort((a, b) => a.createdMs - b.createdMs).map((o) => parseOrderLinkId('ps', o.orderLinkId)!.stampMs);
    expect(byCreation).toEqual([...byCreation].sort((a, b) => a - b));
    // The journal agrees with the exchange on every fill of the bot's positions.
    const fillRecords = (await readJournal(join(dir, 'state'))).records.filter((r): r is FillRecord => r.type === 'fill');
    const journalled = new Set(fillRecords.map((f) => f.execId));
    const missing = sandbox.sim.executions('BTCUSDT').filter((e) => !journalled.has(e.execId));
    // On a failure, show what the journal holds around each missing fill (and the bot's last words).
    const context = missing.map((e) => ({
      missing: `${e.orderLinkId || e.stopOrderType} ${e.execQty.toFixed()} @ ${e.execPrice.toFixed()} t=${e.execTime}`,
      journalNear: fillRecords.filter((f) => Math.abs(f.ts - e.execTime) < 30_000).map((f) => `${f.orderLinkId} t=${f.ts}`),
    }));
    expect(context, JSON.stringify(context, null, 1)).toEqual([]);
  }, 300_000);
});
