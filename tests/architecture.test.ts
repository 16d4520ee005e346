/**
 * Dependencies point down only (DESIGN section 2, STYLE point 1). Ranks, lowest first; a file may
 * import from a strictly lower rank or from its own folder, never sideways or upwards. DESIGN lists
 * backtest below sim, but the backtester runs the simulator and the engine, so (as STYLE's order
 * implies) it sits above both, beside the sandbox.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const RANKS: Readonly<Record<string, number>> = {
  domain: 0,
  util: 1,
  indicators: 2,
  strategies: 3,
  engine: 4,
  clock: 5,
  sim: 5,
  state: 5,
  alerts: 5,
  config: 5,
  exchange: 6,
  sandbox: 7,
  backtest: 7,
  cli: 8,
  'bot.ts': 9,
  'sandbox.ts': 9,
};

const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a file under src/: its first path segment. */
function layerOf(file: string): string {
  return relative(SRC, file).split(sep)[0]!;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

function upwardImports(files: readonly { file: string; text: string }[]): string[] {
  const problems: string[] = [];
  for (const { file, text } of files) {
    const from = layerOf(file);
    const rank = RANKS[from];
    if (rank === undefined) {
      problems.push(`${relative(ROOT, file)}: folder "${from}" has no layer rank (add it to DESIGN section 2 and this test)`);
      continue;
    }
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + sep)) {
        problems.push(`${relative(ROOT, file)} imports ${spec}, outside src/`);
        continue;
      }
      const to = layerOf(target).replace(/\.js$/, '.ts');
      if (to === from) continue;
      const toRank = RANKS[to];
      if (toRank === undefined || toRank >= rank) problems.push(`${relative(ROOT, file)} (${from}, rank ${rank}) imports ${spec} (${to}, rank ${toRank ?? '?'})`);
    }
  }
  return problems;
}

describe('architecture', () => {
  it('no file in src/ imports from a higher or sibling layer', () => {
    expect(upwardImports(walk(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') })))).toEqual([]);
  });

  it('the check itself catches upward, sideways and dynamic imports, and allows downward ones', () => {
    const at = (layer: string, text: string) => ({ file: join(SRC, layer, 'probe.ts'), text });
    expect(upwardImports([at('indicators', "import { x } from '../engine/y.js';")])).toHaveLength(1);
    expect(upwardImports([at('sim', "import type { x } from '../state/y.js';")])).toHaveLength(1);
    expect(upwardImports([at('util', "const m = await import('../cli/main.js');")])).toHaveLength(1);
    expect(upwardImports([at('strategies', "import { x } from '../indicators/y.js';\nexport * from './z.js';")])).toEqual([]);
    expect(upwardImports([at('nowhere', '')])[0]).toMatch(/has no layer rank/);
  });

  it('strategies stay pure: no I/O, no clock, no exchange', () => {
    const offenders = walk(join(SRC, 'strategies'))
      .concat(walk(join(SRC, 'indicators')))
      .filter((f) => /from ['"]node:|Date\.now\(\)|process\.|setTimeout\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
