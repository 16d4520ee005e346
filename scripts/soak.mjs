// `npm run soak [-- --minutes 30 --speed 300 --seed N]`: builds the bot, bundles bench/soak.ts and
// runs it: the bot against the sandbox for a long time with faults switched on at random, then
// checks and a one-screen report (exit 1 when a check fails). Not part of `npm test`.
// `npm run soak -- storage-full [...]` runs bench/soakStorageFull.ts instead (issue 22).
// `npm run soak -- --restart [--minutes 30 --faults SPEC]` runs bench/restartSoak.ts instead: the
// bot SIGKILLed and started again every 1-3 minutes while faults are on.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './esbuildPlugins.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
const outDir = join(root, 'bench', 'out');
mkdirSync(outDir, { recursive: true });
const scenario = process.argv[2] === 'storage-full' ? 'soakStorageFull' : process.argv.includes('--restart') ? 'restartSoak' : 'soak';
const bundle = join(outDir, `${scenario}.mjs`);
await bundleForNode(join(root, 'bench', `${scenario}.ts`), bundle);
try {
  execFileSync(process.execPath, [bundle, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, POCKET_ROOT: root } });
} catch (e) {
  process.exitCode = typeof e.status === 'number' ? e.status : 1;
}
