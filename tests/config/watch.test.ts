import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/config/load.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigWatcher, type ConfigChange } from '../../src/config/watch.js';

let dir: string;
let path: string;
let watcher: ConfigWatcher | null = null;
const base = { mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', params: { proximityPct: 0.3 } }] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-watch-'));
  path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(base, null, 2));
});
afterEach(() => {
  watcher?.close();
  watcher = null;
  rmSync(dir, { recursive: true, force: true });
});

function start() {
  const changes: ConfigChange[] = [];
  const invalid: ConfigError[] = [];
  watcher = new ConfigWatcher({ current: loadConfig({ path }), onChange: (c) => changes.push(c), onInvalid: (e) => invalid.push(e), debounceMs: 30, pollMs: 100 }).start();
  return { changes, invalid };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for the watcher');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const proximity = (w: ConfigWatcher) => {
  const s = w.current.config.symbols[0]!;
  return s.strategy === 'scalper' ? s.params.proximityPct : null;
};

describe('hot reload of config.json', () => {
  it('applies a valid edit without a restart', async () => {
    const { changes } = start();
    writeFileSync(path, JSON.stringify({ ...base, symbols: [{ ...base.symbols[0], params: { proximityPct: 0.5 } }] }));
    await until(() => changes.length === 1);
    expect(proximity(watcher!)).toBe(0.5);
    expect(changes[0]!.restartRequired).toEqual([]);
  });

  it('picks up an editor-style save (write a temporary file, rename over config.json)', async () => {
    const { changes } = start();
    const tmp = join(dir, '.config.json.swp');
    writeFileSync(tmp, JSON.stringify({ ...base, risk: { maxDailyLossPct: 1 } }));
    renameSync(tmp, path);
    await until(() => changes.length === 1);
    expect(watcher!.current.config.risk.maxDailyLossPct).toBe(1);
  });

  it('rejects an invalid edit with the same clear message and keeps the running config', async () => {
    const { changes, invalid } = start();
    const bad = '{"mode": "paper", "symbols": [{"symbol": "btc-usdt", "strategy": "scalper"}]}';
    writeFileSync(path, bad);
    await until(() => invalid.length === 1);
    expect(invalid[0]!.message).toMatch(/symbols\[0\]\.symbol: expected a Bybit linear symbol/);
    expect(changes).toHaveLength(0);
    expect(watcher!.current.config.symbols[0]!.symbol).toBe('BTCUSDT');
    expect(readFileSync(path, 'utf8'), 'the bad file is left for the owner to fix').toBe(bad);
    // …and a later fix is applied.
    writeFileSync(path, JSON.stringify({ ...base, risk: { maxDailyLossPct: 2 } }));
    await until(() => changes.length === 1);
    expect(watcher!.current.config.risk.maxDailyLossPct).toBe(2);
  });

  it('names the settings that need a restart', async () => {
    const { changes } = start();
    writeFileSync(path, JSON.stringify({ mode: 'testnet', symbols: [...base.symbols, { symbol: 'ETHUSDT', strategy: 'maker' }] }));
    await until(() => changes.length === 1);
    expect(changes[0]!.restartRequired).toEqual(['mode', 'symbols[ETHUSDT] added']);
  });

  it('compares with the configuration the bot started with: saving the original back clears the restart list', async () => {
    const { changes } = start();
    const original = readFileSync(path, 'utf8');
    writeFileSync(path, JSON.stringify({ ...base, mode: 'testnet' }));
    await until(() => changes.length === 1);
    expect(changes[0]!.restartRequired).toEqual(['mode']);
    writeFileSync(path, JSON.stringify({ ...base, mode: 'testnet', risk: { maxDailyLossPct: 2 } }));
    await until(() => changes.length === 2);
    expect(changes[1]!.restartRequired, 'still not what the bot runs').toEqual(['mode']);
    writeFileSync(path, original);
    await until(() => changes.length === 3);
    expect(changes[2]!.restartRequired).toEqual([]);
  });

  it('a symbol switched on while the bot runs needs a restart', async () => {
    writeFileSync(path, JSON.stringify({ ...base, symbols: [...base.symbols, { symbol: 'ETHUSDT', strategy: 'scalper', enabled: false }] }));
    const { changes } = start();
    writeFileSync(path, JSON.stringify({ ...base, symbols: [...base.symbols, { symbol: 'ETHUSDT', strategy: 'scalper', enabled: true }] }));
    await until(() => changes.length === 1);
    expect(changes[0]!.restartRequired).toEqual(['symbols[ETHUSDT] enabled']);
  });

  it('ignores a save that changes nothing', async () => {
    const { changes, invalid } = start();
    writeFileSync(path, readFileSync(path));
    await new Promise((r) => setTimeout(r, 300));
    expect(changes).toHaveLength(0);
    expect(invalid).toHaveLength(0);
  });
});
