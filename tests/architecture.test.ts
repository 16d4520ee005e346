/**
 * Dependencies point down only (DESIGN section 2, STYLE point 1). Ranks, lowest first; a file may
 * import from a strictly lower rank or from its own folder, never sideways or upwards. DESIGN lists
 * backtest below sim, but the backtester runs the simulator and the engine, so (as STYLE's order
 * implies) it sits above both, beside the sandbox.
 *
 * Within a layer, imports must not go round in a circle either (issue 17): a cycle makes module
 * start-up order matter and hides which part depends on which.
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

// No `;` between `import`/`export` and `from`: an `export const` must not run on into a comment that quotes an import.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g;

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

/** Each file's relative imports (type-only ones too), as paths under src/ with `.ts`; other imports are left out. */
function importGraph(files: readonly { file: string; text: string }[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const { file, text } of files) {
    const targets = [...text.matchAll(IMPORT)]
      .map((m) => m[1] ?? m[2] ?? m[3]!)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(SRC, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts'));
    graph.set(relative(SRC, file).split(sep).join('/'), [...new Set(targets)]);
  }
  return graph;
}

/**
 * Every import cycle, one per strongly connected group of files (Tarjan), each shown as the shortest
 * circle through the group's first file in name order, e.g. `cli/a.ts → cli/b.ts → cli/a.ts`.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const edges = (v: string): string[] => (graph.get(v) ?? []).filter((w) => graph.has(w));
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || edges(v).includes(v)) groups.push(group.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return groups
    .sort((a, b) => a[0]!.localeCompare(b[0]!))
    .map((group) => {
      // Breadth-first inside the group, from its first file back to itself.
      const start = group[0]!;
      const inGroup = new Set(group);
      const cameFrom = new Map<string, string>();
      const queue = [start];
      while (queue.length > 0) {
        const v = queue.shift()!;
        for (const w of edges(v).sort()) {
          if (!inGroup.has(w) || cameFrom.has(w)) continue;
          cameFrom.set(w, v);
          queue.push(w);
        }
        if (cameFrom.has(start)) break;
      }
      const path = [start];
      for (let v = cameFrom.get(start)!; v !== start; v = cameFrom.get(v)!) path.unshift(v);
      return [start, ...path].join(' → ');
    });
}

/** The longest a source file may grow (issue 17): past it, a file holds more than one responsibility. */
const MAX_SOURCE_LINES = 400;

/** Lines as an editor numbers them: a final newline does not start another line. */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
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

  it('no import cycles in src/', () => {
    expect(importCycles(importGraph(walk(SRC).map((file) => ({ file, text: readFileSync(file, 'utf8') }))))).toEqual([]);
  });

  it('the cycle check finds circles of any length and self-imports, names each once, and passes a tree', () => {
    const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));
    expect(importCycles(graph({ 'a.ts': ['b.ts'], 'b.ts': ['a.ts'], 'c.ts': ['a.ts'] }))).toEqual(['a.ts → b.ts → a.ts']);
    expect(importCycles(graph({ 'x/c.ts': ['x/a.ts'], 'x/a.ts': ['x/b.ts', 'y.ts'], 'x/b.ts': ['x/c.ts'], 'y.ts': [] }))).toEqual(['x/a.ts → x/b.ts → x/c.ts → x/a.ts']);
    expect(importCycles(graph({ 'self.ts': ['self.ts'] }))).toEqual(['self.ts → self.ts']);
    // Two separate circles; the shortest circle through a.ts is named, not the longer one.
    expect(importCycles(graph({ 'a.ts': ['c.ts', 'b.ts'], 'b.ts': ['a.ts'], 'c.ts': ['b.ts'], 'd.ts': ['e.ts'], 'e.ts': ['d.ts'] }))).toEqual([
      'a.ts → b.ts → a.ts',
      'd.ts → e.ts → d.ts',
    ]);
    expect(importCycles(graph({ 'top.ts': ['mid.ts', 'leaf.ts', 'missing.ts'], 'mid.ts': ['leaf.ts'], 'leaf.ts': [] }))).toEqual([]);
  });

  it('the import graph reads type-only, re-export and dynamic imports, not a quoted import in a comment', () => {
    const at = (path: string, text: string) => ({ file: join(SRC, ...path.split('/')), text });
    const g = importGraph([
      at('cli/a.ts', "import type { X } from './b.js';\nexport * from '../util/c.js';\nconst m = await import('./d.js');\nimport 'node:fs';"),
      at('domain/money.ts', "export const Dec = 1;\n/** For signatures: `import type { Decimal } from '../domain/money.js'`. */\nexport type { Decimal };"),
    ]);
    expect(g.get('cli/a.ts')).toEqual(['cli/b.ts', 'util/c.ts', 'cli/d.ts']);
    expect(g.get('domain/money.ts'), 'a doc comment quoting an import is not an import').toEqual([]);
  });

  it('no source file is over 400 lines: a longer one is split by responsibility (issue 17)', () => {
    const long = walk(SRC)
      .map((file) => ({ file: relative(ROOT, file), lines: lineCount(readFileSync(file, 'utf8')) }))
      .filter((f) => f.lines > MAX_SOURCE_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(long, `split these by responsibility, each part in a file named after its export`).toEqual([]);
  });

  it('the line count counts the lines an editor shows', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a\n')).toBe(1);
    expect(lineCount('a\nb')).toBe(2);
    expect(lineCount('a\n\nb\n')).toBe(3);
  });

  it('strategies stay pure: no I/O, no clock, no exchange', () => {
    const offenders = walk(join(SRC, 'strategies'))
      .concat(walk(join(SRC, 'indicators')))
      .filter((f) => /from ['"]node:|Date\.now\(\)|process\.|setTimeout\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
