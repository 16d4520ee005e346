// Builds the two single-file bundles, dist/bot.js and dist/sandbox.js, with esbuild only, so the
// build runs on Termux (android-arm64), where TypeScript's native compiler has no build.
// Type-checking is a separate step (npm run typecheck).
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ccxtBybitOnly, ccxtPassInputs } from './esbuildPlugins.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ccxtDir = join(root, 'node_modules', 'ccxt');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));


// POCKET_OUT_DIR builds elsewhere (tests build into a temporary directory of their own).
const outDir = process.env.POCKET_OUT_DIR ? resolve(process.env.POCKET_OUT_DIR) : join(root, 'dist');
const allEntries = [
  ['src/bot.ts', 'bot.js'],
  ['src/sandbox.ts', 'sandbox.js'],
];
// `node scripts/build.mjs bot` builds one bundle only (handy while developing).
const wanted = process.argv.slice(2);
const entries = wanted.length ? allEntries.filter(([, out]) => wanted.some((w) => out.includes(w))) : allEntries;

mkdirSync(outDir, { recursive: true });
const bundled = new Set();
for (const [entry, out] of entries) {
  const result = await build({
    entryPoints: [join(root, entry)],
    outfile: join(outDir, out),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Class and function names survive minification, so an error reads "ExchangeNotAvailable", not
    // "kt" (issue 15 item 3); costs about 3 % of the bundle (BENCHMARKS.md).
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // ws loads these optional native speed-ups inside try/catch and works without them.
    external: ['bufferutil', 'utf-8-validate'],
    define: { POCKET_VERSION: JSON.stringify(pkg.version) },
    // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
    banner: { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    plugins: [ccxtBybitOnly],
  });
  // ccxt's Bybit class is bundled in a pass of its own (scripts/esbuildPlugins.mjs).
  for (const input of [...Object.keys(result.metafile.inputs), ...ccxtPassInputs]) {
    const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(input);
    if (m) bundled.add(m[1].split(sep).join('/'));
  }
}

// Licence notices of every bundled package, next to the bundles (GPL-3.0-or-later project;
// ntp-time-sync and ntp-packet-parser are GPL-3.0, the rest permissive).
const notices = [
  `pocket-scalper ${pkg.version} is licensed GPL-3.0-or-later (see LICENSE).`,
  'dist/bot.js and dist/sandbox.js include the following packages, under these licences:',
  '',
];
for (const name of [...bundled].sort()) {
  const dir = findPackageDir(name);
  if (!dir) continue;
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const licenseFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  notices.push('='.repeat(78), `${meta.name}@${meta.version}  (${typeof meta.license === 'string' ? meta.license : 'see below'})`, '='.repeat(78));
  notices.push(licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').trim() : `No licence file shipped; package.json says: ${meta.license ?? 'unknown'}`, '');
}
writeFileSync(join(outDir, 'THIRD-PARTY-LICENSES.txt'), notices.join('\n') + '\n');
writeFileSync(join(outDir, 'LICENSE'), readFileSync(join(root, 'LICENSE')));
console.error(`built ${entries.map(([, o]) => join(relativeOut(), o)).join(', ')} (${bundled.size} bundled packages; notices in dist/THIRD-PARTY-LICENSES.txt)`);

function relativeOut() {
  return outDir === join(root, 'dist') ? 'dist' : outDir;
}

function findPackageDir(name) {
  // Nested copies (e.g. ccxt/node_modules/ws) are named by the path esbuild saw; the top level is enough
  // for the notice because the licence text is the package's, not the version's.
  const dir = join(root, 'node_modules', ...name.split('/'));
  return existsSync(join(dir, 'package.json')) ? dir : null;
}
