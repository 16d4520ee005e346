/**
 * Bundle size and start-up time (issue 2 goals: dist/bot.js ≤ 2 MB; `node dist/bot.js --help`
 * within 3× the start-up of a bare `node -e 0`). Runs are interleaved so that a busy machine
 * slows both sides alike; the median of each is compared.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, projectRoot, report } from './harness.js';

const root = projectRoot();
const bot = join(root, 'dist', 'bot.js');
const sandbox = join(root, 'dist', 'sandbox.js');
const RUNS = 21;

function timeMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const bare: number[] = [];
const help: number[] = [];
const version: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(timeMs(['-e', '0']));
  help.push(timeMs([bot, '--help']));
  version.push(timeMs([bot, '--version']));
}
for (const a of [bare, help, version]) a.sort((x, y) => x - y);
const bareMs = percentile(bare, 50);
const helpMs = percentile(help, 50);
const botBytes = statSync(bot).size;
const sandboxBytes = statSync(sandbox).size;

report('startup', [
  { name: 'dist/bot.js size', value: botBytes / 1e6, unit: 'MB', goal: '<= 2 MB', ok: botBytes <= 2e6 },
  { name: 'dist/sandbox.js size', value: sandboxBytes / 1e6, unit: 'MB' },
  { name: 'node -e 0 (median of 21)', value: bareMs, unit: 'ms' },
  { name: 'node dist/bot.js --help (median of 21)', value: helpMs, unit: 'ms' },
  { name: 'node dist/bot.js --version (median of 21)', value: percentile(version, 50), unit: 'ms' },
  { name: '--help start-up / bare node', value: helpMs / bareMs, unit: 'x', goal: '<= 3x', ok: helpMs / bareMs <= 3 },
]);
