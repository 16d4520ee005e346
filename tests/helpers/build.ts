/**
 * Builds the real bundles for tests that run them as a user would. Each test worker builds once
 * into its own temporary directory, so parallel workers never read a half-written bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const built = new Map<string, string>();

/** Absolute path of a freshly built `bot.js` or `sandbox.js`. */
export function builtBundle(name: 'bot' | 'sandbox'): string {
  const cached = built.get(name);
  if (cached && existsSync(cached)) return cached;
  const outDir = mkdtempSync(join(tmpdir(), `pocket-build-${name}-`));
  execFileSync(process.execPath, ['scripts/build.mjs', name], { cwd: ROOT, env: { ...process.env, POCKET_OUT_DIR: outDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  const file = join(outDir, `${name}.js`);
  built.set(name, file);
  return file;
}

/**
 * Bundles a small test entry (a stand-in process written in TypeScript) into a runnable .mjs in a
 * temporary directory, for tests that need a real second process.
 */
export async function bundleScript(entry: URL): Promise<string> {
  const { build } = await import('esbuild');
  const outDir = mkdtempSync(join(tmpdir(), 'pocket-script-'));
  const outfile = join(outDir, 'entry.mjs');
  await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    banner: { js: "import{createRequire}from'module';const require=createRequire(import.meta.url);" },
    logLevel: 'silent',
    external: ['bufferutil', 'utf-8-validate'],
  });
  return outfile;
}
