/**
 * The spread guard (issue 24) in `run`: the real bundle, `run --replay` against the sandbox on
 * loopback replaying real BTCUSDT candles. The sandbox's book is one 0.1 tick wide at ~106 000
 * (about 0.0000943 %), so a limit below that refuses every market entry, and says so once per signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/state/journal.js';
import { builtBundle } from '../helpers/build.js';
import { cleanEnv, ROOT } from '../helpers/cli.js';

let bundle: string;
let dir: string;
let bot: ChildProcess | null = null;
let output = '';

beforeAll(() => {
  bundle = builtBundle('bot');
});
afterEach(() => {
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  bot = null;
  output = '';
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('run: a scalper market entry and the spread', () => {
  it('is skipped while the live spread exceeds the symbol maxSpreadPct, logged with the spread once per signal', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pocket-spread-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ mode: 'paper', alerts: { termux: { enabled: false } }, battery: { enabled: false }, symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', maxSpreadPct: 0.00005 }] }));
    bot = spawn(process.execPath, [bundle, 'run', '--replay', join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz'), '--speed', '900'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    bot.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    bot.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const skips = (): string[] => output.split('\n').filter((l) => /signal not traded: spread/.test(l));
    await until('two refused signals', () => skips().length >= 2);
    for (const l of skips()) expect(l).toMatch(/BTCUSDT (long|short) signal not traded: spread 0\.0000\d+ % \(bid \d+(\.\d)?, ask \d+(\.\d)?\) is above the limit 0\.0000500 %/);
    const notTraded = output.split('\n').filter((l) => /BTCUSDT (long|short) signal not traded/.test(l));
    expect(notTraded.length, 'one line per signal, only the spread reason').toBe(skips().length);

    const exited = new Promise<number | null>((r) => bot!.once('exit', (code) => r(code)));
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
    const { records } = await readJournal(join(dir, 'state'));
    expect(records.filter((r) => r.type === 'order'), 'no order went out').toEqual([]);
  }, 90_000);
});
