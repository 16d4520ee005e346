/**
 * `dist/sandbox.js` as a program (DESIGN section 4): bundled from src/sandbox.ts with esbuild into a
 * temporary directory, started as a real subprocess on ephemeral ports, then stopped with SIGTERM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BTC = join(ROOT, 'data/bybit-BTCUSDT-1m.csv.gz');
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
  bundle = join(dir, 'sandbox.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/sandbox.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function readLines(child: ChildProcess, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`no start-up output; got: ${text}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (until(text)) {
        clearTimeout(t);
        resolve(text);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${text}`)));
  });
}

describe('dist/sandbox.js', () => {
  it('prints its URLs, serves REST and NTP ports, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bundle, '--port', '0', '--data', BTC, '--ntp-port', '0', '--speed', '0', '--clock-offset-ms', '5000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = await readLines(child, (t) => t.includes('api-key'));
    const rest = /^rest (http:\/\/\S+)$/m.exec(out)![1]!;
    expect(out).toMatch(/^ws-public ws:\/\/127\.0\.0\.1:\d+\/v5\/public\/linear$/m);
    expect(out).toMatch(/^ws-private ws:\/\/127\.0\.0\.1:\d+\/v5\/private$/m);
    expect(out).toMatch(/^ntp udp:\/\/127\.0\.0\.1:\d+$/m);
    expect(out, 'secrets are never printed').not.toMatch(/sandbox-secret/);
    const time = (await (await fetch(`${rest}/v5/market/time`)).json()) as { time: number };
    expect(time.time - Date.now(), 'the clock offset applies').toBeGreaterThan(3000);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('exits 2 with a clear message on usage errors', () => {
    const noData = spawnSync(process.execPath, [bundle, '--port', '0'], { encoding: 'utf8' });
    expect(noData.status).toBe(2);
    expect(noData.stderr).toMatch(/--data is required/);
    const badFaults = spawnSync(process.execPath, [bundle, '--port', '0', '--data', BTC, '--faults', 'nope=1'], { encoding: 'utf8' });
    expect(badFaults.status).toBe(2);
    expect(badFaults.stderr).toMatch(/unknown fault "nope"/);
    const help = spawnSync(process.execPath, [bundle, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--faults SPEC/);
  });
});
