import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBot } from '../helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pocket-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The command list of DESIGN section 4.
const COMMANDS = ['run', 'init', 'config', 'backtest', 'signals', 'clock', 'status', 'doctor', 'pause', 'resume', 'close-all'];

describe('node dist/bot.js', () => {
  it('--help lists every command and exits 0', async () => {
    const r = await runBot(['--help'], { cwd: dir });
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stderr).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(r.stdout, 'human text goes to stderr').toBe('');
  });

  it('every command has --help, exit 0', async () => {
    for (const c of COMMANDS) {
      const r = await runBot([c, '--help'], { cwd: dir });
      expect(r.code, c).toBe(0);
      expect(r.stderr, c).toMatch(/Usage: node dist\/bot\.js/);
    }
  });

  it('--version prints the package version on stdout', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v', '-V']) {
      const r = await runBot([flag], { cwd: dir });
      expect([r.code, r.stdout.trim()], flag).toEqual([0, pkg.version]);
    }
  });

  it('an unknown command or option is a usage error, exit 2', async () => {
    const a = await runBot(['trade'], { cwd: dir });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/unknown command "trade"/);
    const b = await runBot(['config', 'check', '--bogus'], { cwd: dir });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/Unknown option '--bogus'/);
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });
  it('run without config.json and without a terminal exits 2 and says what to do', async () => {
    const r = await runBot([], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No configuration at .*config\.json/);
    expect(r.stderr).toMatch(/node dist\/bot\.js init/);
    expect(r.stderr).toMatch(/"mode": "paper"/);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
  });

  it('run with a bad config exits 2 naming the field and leaves the file alone', async () => {
    const text = '{"symbols": [{"symbol": "btc-usdt", "strategy": "scalper"}]}';
    writeFileSync(join(dir, 'config.json'), text);
    const r = await runBot(['run'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/symbols\[0\]\.symbol: expected a Bybit linear symbol/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(text);
  });

  it('run in a live mode without API keys exits 2 and says where keys go', async () => {
    writeFileSync(join(dir, 'config.json'), '{"mode": "testnet", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}');
    const r = await runBot(['run'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs an API key and secret: set BYBIT_API_KEY and BYBIT_API_SECRET/);
  });

  it('config check via the bundle prints JSON on stdout with secrets redacted', async () => {
    writeFileSync(join(dir, 'config.json'), '{"mode": "demo", "symbols": [{"symbol": "BTCUSDT", "strategy": "scalper"}]}');
    const secret = 'VerySecretValue1234567890';
    const r = await runBot(['config', 'check', '--json'], { cwd: dir, env: { BYBIT_API_KEY: 'KeyKeyKey12345', BYBIT_API_SECRET: secret } });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { ok: boolean; config: { mode: string }; secrets: { source: string } };
    expect([doc.ok, doc.config.mode, doc.secrets.source]).toEqual([true, 'demo', 'environment']);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('config check without --json prints the effective configuration on stdout (for `| less`), problems on stderr', async () => {
    writeFileSync(join(dir, 'config.json'), '{"mode": "paper", "symbols": [{"symbol": "ETHUSDT", "strategy": "scalper"}]}');
    const ok = await runBot(['config', 'check'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout.slice(0, ok.stdout.lastIndexOf('}') + 1)).symbols[0].symbol, 'the effective config is on stdout').toBe('ETHUSDT');
    expect(ok.stdout).toMatch(/config\.json: valid/);
    expect(ok.stderr).toBe('');
    writeFileSync(join(dir, 'config.json'), '{"mode": "paper", "symbols": [{"symbol": "ETHUSDT", "strategy": "scalpr"}]}');
    const bad = await runBot(['config', 'check'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/symbols\[0\]/);
  });

  it('init refuses without a terminal', async () => {
    const r = await runBot(['init'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs an interactive terminal/);
  });
});
