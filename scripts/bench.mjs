// `npm run bench`: builds the bundles, then bundles and runs every bench/*.bench.ts in turn (one
// process each, so one benchmark's heap does not disturb the next), then merges their figures
// into bench/results.json and prints one table. `npm run bench -- startup` runs matching ones only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from './esbuildPlugins.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'out');
const only = process.argv.slice(2);
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
mkdirSync(outDir, { recursive: true });

const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const failed = [];
for (const file of benches) {
  const name = file.replace(/\.bench\.ts$/, '');
  rmSync(join(outDir, `${name}.json`), { force: true });
  const bundle = join(outDir, `${name}.mjs`);
  await bundleForNode(join(root, 'bench', file), bundle);
  process.stdout.write(`\n== ${name}\n`);
  try {
    execFileSync(process.execPath, ['--expose-gc', bundle], { stdio: 'inherit', env: { ...process.env, POCKET_ROOT: root } });
  } catch {
    failed.push(name);
  }
}

const results = { machine: null, at: new Date().toISOString(), benches: {} };
for (const f of readdirSync(outDir).filter((f) => f.endsWith('.json')).sort()) {
  const doc = JSON.parse(readFileSync(join(outDir, f), 'utf8'));
  results.machine ??= doc.machine;
  results.benches[doc.bench] = { at: doc.at, figures: doc.figures };
}
writeFileSync(join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');

process.stdout.write(`\nResults (${results.machine})\n`);
process.stdout.write(`${'bench'.padEnd(12)} ${'figure'.padEnd(44)} ${'value'.padStart(14)} ${'unit'.padEnd(10)} goal\n`);
for (const [bench, { figures }] of Object.entries(results.benches)) {
  for (const f of figures) {
    const verdict = f.ok === undefined ? '' : f.ok ? '  ok' : '  MISSED';
    process.stdout.write(`${bench.padEnd(12)} ${f.name.padEnd(44)} ${(typeof f.value === 'number' ? String(Number(f.value.toPrecision(4))) : 'n/a').padStart(14)} ${f.unit.padEnd(10)} ${(f.goal ?? '').padEnd(14)}${verdict}\n`);
  }
}
if (failed.length) {
  process.stderr.write(`\nfailed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
