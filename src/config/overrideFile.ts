/**
 * The override file (issue 24 item 4, the market maker's loader): `config.local.json` beside
 * config.json, or the file `--override FILE` names, applied on top of config.json and below the
 * environment and `--set`. Its values are laid over config.json leaf by leaf, as `--set` paths:
 * objects merge key by key, list entries by position (`"symbols": [{"params": {...}}]` edits the
 * first symbol entry), and a list of plain values (`takeProfitR`) replaces the whole list.
 * Reading never writes: a bad override file is reported with its name and left as it was.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { SetOverride } from './set.js';

export const OVERRIDE_FILE_NAME = 'config.local.json';

/** The override file that goes with `configPath` when `--override` does not name one. */
export function defaultOverridePath(configPath: string): string {
  return join(dirname(resolve(configPath)), OVERRIDE_FILE_NAME);
}

export interface OverrideSource {
  /** Absolute path, watched for hot reload even while the file does not exist. */
  readonly path: string;
  /** The file's text, or null when there is no such file. */
  readonly text: string | null;
  /** Named by `--override`: then a missing file is an error, not "no override". */
  readonly explicit: boolean;
}

/** Reads the override file; a missing default file is simply no override. Throws the fs error otherwise. */
export function readOverride(path: string, explicit: boolean): OverrideSource {
  try {
    return { path, text: readFileSync(path, 'utf8'), explicit };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return { path, text: null, explicit };
    throw e;
  }
}

/**
 * The leaves of a parsed JSON value as `--set`-style overrides: one per plain value or list of plain
 * values, with the path that reaches it (an empty object changes nothing).
 */
export function leafSets(node: unknown, label: string, path: string[] = []): SetOverride[] {
  const isPlainList = Array.isArray(node) && node.every((x) => typeof x !== 'object' || x === null);
  if (typeof node !== 'object' || node === null || isPlainList) return path.length ? [{ path, value: node, raw: label }] : [];
  const entries = Array.isArray(node) ? node.map((x, i) => [String(i), x] as const) : Object.entries(node);
  return entries.flatMap(([k, child]) => leafSets(child, label, [...path, k]));
}
