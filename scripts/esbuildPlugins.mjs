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
  },
};
