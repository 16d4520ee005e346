/**
 * The override file (issue 24 item 4): config.local.json beside config.json, or `--override FILE`,
 * laid over config.json and under the environment and `--set`; `config check` names the layer of
 * each value that is not the default; hot reload follows both files; a bad override file is named
 * with its field and neither file is touched. Through the real `node dist/bot.js`, files in a temp dir.
 */
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type ConfigError } from '../../src/config/load.js';
import { ConfigWatcher, type ConfigChange } from '../../src/config/watch.js';
import { runBot } from '../helpers/cli.js';

let dir: string;
const file = (name: string) => join(dir, name);
const write = (name: string, doc: unknown) => writeFileSync(file(name), typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
const base = { mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper', params: { rsiLength: 10, proximityPct: 0.3 } }] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-override-'));
  write('config.json', base);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config check with config.local.json', () => {
  it('applies the override between config.json and the environment, and names the layer of every non-default value', async () => {
    write('config.local.json', { symbols: [{ params: { proximityPct: 0.5, score: { minScore: 2 } } }], log: { level: 'debug' }, risk: { maxDailyLossPct: 4 } });
    const r = await runBot(['config', 'check', '--json', '--set', 'symbols.0.leverage=5'], { cwd: dir, env: { POCKET_RISK__MAX_DAILY_LOSS_PCT: '2' } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { config: { symbols: { params: { proximityPct: number; rsiLength: number; score: { minScore: number } } }[]; risk: { maxDailyLossPct: number } }; setBy: { path: string; value: unknown; layer: string }[]; override: string };
    const p = doc.config.symbols[0]!.params;
    expect([p.rsiLength, p.proximityPct, p.score.minScore], 'config.json, then the override').toEqual([10, 0.5, 2]);
    expect(doc.config.risk.maxDailyLossPct, 'the environment beats the override').toBe(2);
    expect(doc.override).toBe(file('config.local.json'));
    const layer = Object.fromEntries(doc.setBy.map((x) => [x.path, x.layer]));
    expect(layer).toMatchObject({
      'symbols[0].params.rsiLength': 'config.json',
      'symbols[0].params.proximityPct': 'config.local.json',
      'symbols[0].params.score.minScore': 'config.local.json',
      'log.level': 'config.local.json',
      'risk.maxDailyLossPct': 'environment variable POCKET_RISK__MAX_DAILY_LOSS_PCT',
      'symbols[0].leverage': '--set symbols.0.leverage=5',
    });
    expect(layer, 'mode "paper" is the default: not listed').not.toHaveProperty('mode');
    expect(layer, 'a default weight is not listed').not.toHaveProperty('symbols[0].params.score.weights.ema');

    const text = await runBot(['config', 'check'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('  symbols[0].params.score.minScore = 2  (config.local.json)\n');
    expect(text.stdout).toContain('  symbols[0].params.rsiLength = 10  (config.json)\n');
  });

  it('--override FILE replaces config.local.json; a missing one is an error naming it', async () => {
    write('config.local.json', { log: { level: 'debug' } });
    write('phone.json', { log: { level: 'warn' } });
    const r = await runBot(['config', 'check', '--json', '--override', 'phone.json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { config: { log: { level: string } } }).config.log.level).toBe('warn');
    const missing = await runBot(['config', 'check', '--override', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${file('nope.json')}: a problem`);
    expect(missing.stderr).toContain('the override file does not exist');
  });

  it('a bad override file is reported with its name and the field, and neither file is touched', async () => {
    const bad = '{"symbols": [{"params": {"score": {"minScore": "high"}}}]}';
    write('config.local.json', bad);
    const before = readFileSync(file('config.json'), 'utf8');
    const r = await runBot(['config', 'check'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file('config.local.json')}: a problem; nothing was changed`);
    expect(r.stderr).toContain('symbols[0].params.score.minScore: must be a number (found "high")');
    write('config.local.json', '{"log": {"level": "debug"},');
    const syntax = await runBot(['config', 'check'], { cwd: dir });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(new RegExp(`${file('config.local.json').replace(/[.]/g, '\\.')}: a problem[^]*line 1`));
    write('config.local.json', { symbols: [{ params: { nope: 1 } }] });
    const unknown = await runBot(['run', '--paper'], { cwd: dir, timeoutMs: 30_000 });
    expect(unknown.code, 'run refuses to start on it too').toBe(2);
    expect(unknown.stderr).toContain('symbols[0].params.nope: unknown setting');
    expect(readFileSync(file('config.json'), 'utf8')).toBe(before);
    expect(readFileSync(file('config.local.json'), 'utf8')).toBe(JSON.stringify({ symbols: [{ params: { nope: 1 } }] }, null, 2));
  });
});

describe('hot reload watches config.json and the override file', () => {
  let watcher: ConfigWatcher | null = null;
  afterEach(() => {
    watcher?.close();
    watcher = null;
  });

  async function until(cond: () => boolean, ms = 8000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out waiting for the watcher');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('an override file created, edited, broken and deleted under a running watcher', async () => {
    const changes: ConfigChange[] = [];
    const invalid: ConfigError[] = [];
    watcher = new ConfigWatcher({ current: loadConfig({ path: file('config.json') }), onChange: (c) => changes.push(c), onInvalid: (e) => invalid.push(e), debounceMs: 30, pollMs: 100 }).start();
    const minScore = () => {
      const s = watcher!.current.config.symbols[0]!;
      return s.strategy === 'scalper' ? s.params.score?.minScore : undefined;
    };
    expect(minScore()).toBeUndefined();

    write('config.local.json', { symbols: [{ params: { score: { minScore: 2 } } }] });
    await until(() => changes.length === 1);
    expect(minScore(), 'a new override file applies').toBe(2);

    write('config.local.json', { symbols: [{ params: { score: { minScore: 4 } } }] });
    await until(() => changes.length === 2);
    expect(minScore()).toBe(4);

    write('config.local.json', { symbols: [{ params: { score: { minScore: 'x' } } }] });
    await until(() => invalid.length === 1);
    expect(invalid[0]!.file, 'the error names the override file').toBe(file('config.local.json'));
    expect(invalid[0]!.problems[0]!.path).toBe('symbols[0].params.score.minScore');
    expect(minScore(), 'still running on the last good settings').toBe(4);

    write('config.json', { ...base, symbols: [{ ...base.symbols[0], params: { rsiLength: 12 } }] });
    write('config.local.json', { symbols: [{ params: { score: { minScore: 1 } } }] });
    await until(() => changes.length === 3);
    const s = watcher.current.config.symbols[0]!;
    expect(s.strategy === 'scalper' && [s.params.rsiLength, s.params.score?.minScore]).toEqual([12, 1]);

    unlinkSync(file('config.local.json'));
    await until(() => changes.length === 4);
    expect(minScore(), 'deleting the override file removes its layer').toBeUndefined();
  });
});
