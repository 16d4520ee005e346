// esbuild plugins shared by the build (scripts/build.mjs) and the benchmarks (scripts/bench.mjs).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ccxtDir = join(root, 'node_modules', 'ccxt');

/**
 * `import { bybit } from 'ccxt'` would bundle every exchange (about 6.3 MB minified). Our code
 * imports only named things from 'ccxt'; this plugin answers that import with a module that
 * re-exports the Bybit class file and the error classes, so only Bybit and the shared base are
 * bundled. ccxt's base imports protobufjs (for MEXC only), which is not installed: stub it.
 */
export const ccxtBybitOnly = {
  name: 'ccxt-bybit-only',
  setup(b) {
    b.onResolve({ filter: /^ccxt$/ }, (args) =>
      args.importer.startsWith(ccxtDir) ? undefined : { path: 'ccxt-bybit', namespace: 'ccxt-bybit' },
    );
    b.onLoad({ filter: /.*/, namespace: 'ccxt-bybit' }, () => ({
      contents: [
        `export { default as bybit } from ${JSON.stringify(join(ccxtDir, 'js/src/bybit.js'))};`,
        `export * from ${JSON.stringify(join(ccxtDir, 'js/src/base/errors.js'))};`,
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
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
  },
};

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
