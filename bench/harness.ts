/**
 * Shared helpers for benchmarks. Each `bench/<name>.bench.ts` measures, prints its own lines, and
 * calls `report(name, figures)`, which writes `bench/out/<name>.json`; `npm run bench` bundles and
 * runs every bench file, then merges the figures into `bench/results.json` and prints one table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figure {
  /** What was measured, e.g. "dist/bot.js size". */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal in words, e.g. "<= 2 MB"; omitted when the figure is informational. */
  readonly goal?: string;
  /** Whether the goal was met; omitted without a goal. */
  readonly ok?: boolean;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}-${process.arch}`;
}

/** Directory of the project root (bench/ is one level down). Works bundled or not. */
export function projectRoot(): string {
  return process.env.POCKET_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
}

export function report(bench: string, figures: readonly Figure[]): void {
  const outDir = join(projectRoot(), 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${bench}.json`), JSON.stringify({ bench, machine: machine(), at: new Date().toISOString(), figures }, null, 2) + '\n');
  for (const f of figures) {
    const verdict = f.ok === undefined ? '' : f.ok ? '  ok' : '  MISSED';
    process.stdout.write(`${bench.padEnd(12)} ${f.name.padEnd(44)} ${fmt(f.value).padStart(14)} ${f.unit.padEnd(10)} ${(f.goal ?? '').padEnd(14)}${verdict}\n`);
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(4)).toString();
}

/** Percentile (0-100) of a sample, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
