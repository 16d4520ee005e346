// esbuild plugins shared by the build (scripts/build.mjs) and the benchmarks (scripts/bench.mjs).
import { realpathSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ccxtDir = join(root, 'node_modules', 'ccxt');
const bybitFile = join(ccxtDir, 'js/src/bybit.js');
const errorsFile = join(ccxtDir, 'js/src/base/errors.js');
/** What the separately bundled Bybit class calls ccxt's errors module (answered by the main bundle). */
const ERRORS_ID = 'ccxt-errors';
/** Published once, when the bundled Bybit class is compiled (tests/cli/ccxtLazy.test.ts listens). */
export const CCXT_COMPILED_CHANNEL = 'pocket-scalper:ccxt-compiled';

/**
 * `import { bybit } from 'ccxt'` would bundle every exchange (about 6.3 MB minified). Our code
 * imports only named things from 'ccxt'; this plugin answers that import with a module that
 * exports ccxt's error classes and a `bybit` that compiles ccxt's Bybit class (and the shared base)
 * on its first `new` only (issue 18): that code is about half of dist/bot.js, and V8 pre-parses an
 * ES module whole at load, about 40 ms of every command's start-up, though a backtest from a file,
 * `signals`, `status` or `--help` never construct it. The class is bundled in a second esbuild pass
 * into CommonJS text kept in a string (deflated); its errors module is the main bundle's, so
 * `instanceof` against the error classes imported from 'ccxt' holds for what the Bybit class throws.
 */
export const ccxtBybitOnly = {
  name: 'ccxt-bybit-only',
  setup(b) {
    const outer = b.initialOptions;
    b.onResolve({ filter: /^ccxt$/ }, (args) =>
      isInsideCcxt(args.importer) ? undefined : { path: 'ccxt-bybit', namespace: 'ccxt-bybit' },
    );
    b.onLoad({ filter: /.*/, namespace: 'ccxt-bybit' }, async () => {
      const { text, warnings } = await bybitAsCommonJs({ minify: !!outer.minify, keepNames: !!outer.keepNames, target: outer.target ?? 'node20' });
      return { contents: lazyCcxtModule(text), resolveDir: root, loader: 'js', warnings };
    });
    ccxtStubs(b);
  },
};

/** ccxt's base imports protobufjs (for MEXC only), which is not installed, and undici: stub both. */
function ccxtStubs(b) {
  b.onResolve({ filter: /^protobufjs(\/.*)?$/ }, () => ({ path: 'protobufjs-stub', namespace: 'stub' }));
  b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default {};', loader: 'js' }));
  // ccxt imports undici (about 540 kB of the bundle) only where it is given no fetch of its own;
  // every ccxt client of ours is given src/util/httpFetch.ts. An import that gets here anyway
  // fails with this message (ccxt then falls back to Node's global fetch).
  b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici-left-out', namespace: 'undici-left-out' }));
  b.onLoad({ filter: /.*/, namespace: 'undici-left-out' }, () => ({
    contents: "throw new Error('undici is left out of this bundle: give ccxt the fetch of src/util/httpFetch.ts (fetchImplementation, FetchError, AbortError)');",
    loader: 'js',
  }));
}

function isInsideCcxt(file) {
  return file.startsWith(ccxtDir) || file.startsWith(realpathSync(ccxtDir));
}

/**
 * The module that stands for 'ccxt' in our bundles. The class's text is kept deflated, as base64:
 * V8 keeps a module's whole source for as long as the process runs (functions are compiled from it
 * when first called), and kept plain this text was in a running bot's heap three times (a heap
 * snapshot of `run` on Node 24): in the bundle's source, as the string literal, and as the compiled
 * function's own source, about 0.7 MB each. Deflated, the first two hold about 0.22 MB of it each.
 */
function lazyCcxtModule(text) {
  const errors = JSON.stringify(errorsFile);
  // Strict, as ES modules are; sourceURL names its frames in stack traces.
  const source = `"use strict";${text}\n//# sourceURL=ccxt-bybit.cjs`;
  const packed = deflateRawSync(Buffer.from(source, 'utf8'), { level: 9 }).toString('base64');
  return `
import * as errors from ${errors};
import { createRequire } from 'node:module';
import { channel } from 'node:diagnostics_channel';
export * from ${errors};
// The class's CommonJS text, raw-deflated, as base64.
const packed = ${JSON.stringify(packed)};
let Real;
function compiled() {
  if (Real === undefined) {
    const nodeRequire = createRequire(import.meta.url);
    const source = nodeRequire('node:zlib').inflateRawSync(Buffer.from(packed, 'base64')).toString('utf8');
    const shared = { __esModule: true, ...errors };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', source)((id) => (id === ${JSON.stringify(ERRORS_ID)} ? shared : nodeRequire(id)), module, module.exports);
    Real = module.exports.bybit;
    channel(${JSON.stringify(CCXT_COMPILED_CHANNEL)}).publish({ bybit: Real, errors });
  }
  return Real;
}
/** Stands for ccxt's Bybit class: \`new\`, statics, \`prototype\` and \`instanceof\` reach the real one. */
export const bybit = new Proxy(function bybit() {}, {
  construct: (_target, args, newTarget) => Reflect.construct(compiled(), args, newTarget === bybit ? compiled() : newTarget),
  get: (_target, key) => Reflect.get(compiled(), key),
  has: (_target, key) => Reflect.has(compiled(), key),
});
`;
}

const cjsCache = new Map();
/** Input files of the separate Bybit pass (the build lists their packages' licences). */
export const ccxtPassInputs = new Set();

/** ccxt's Bybit class with everything it imports but ccxt's errors module, as CommonJS text. */
function bybitAsCommonJs(opts) {
  const key = JSON.stringify(opts);
  if (!cjsCache.has(key)) cjsCache.set(key, buildBybitCommonJs(opts));
  return cjsCache.get(key);
}

async function buildBybitCommonJs(opts) {
  const { build } = await import('esbuild');
  const errorsReal = realpathSync(errorsFile);
  const result = await build({
    stdin: { contents: `export { default as bybit } from ${JSON.stringify(bybitFile)};`, resolveDir: root, loader: 'js', sourcefile: 'ccxt-bybit-class.js' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: opts.target,
    minify: opts.minify,
    keepNames: opts.keepNames,
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
    // ws loads these optional native speed-ups inside try/catch and works without them.
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [
      {
        name: 'ccxt-errors-shared',
        setup(b) {
          b.onResolve({ filter: /errors\.js$/ }, (args) => {
            if (!args.path.startsWith('.')) return undefined;
            const file = resolve(args.resolveDir, args.path);
            return file === errorsFile || file === errorsReal ? { path: ERRORS_ID, external: true } : undefined;
          });
          ccxtStubs(b);
        },
      },
    ],
  });
  for (const input of Object.keys(result.metafile.inputs)) ccxtPassInputs.add(input);
  return { text: result.outputFiles[0].text, warnings: result.warnings };
}

/**
 * Bundles a TypeScript entry that imports from src/ (a benchmark, the soak test) into one ESM file
 * for Node, the way the bot itself is bundled (Bybit-only ccxt).
 */
export async function bundleForNode(entry, outfile) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    external: ['bufferutil', 'utf-8-validate', 'esbuild'],
    plugins: [ccxtBybitOnly],
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  });
}
