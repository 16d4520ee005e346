/**
 * Text of a state file → the current state, or exactly what is wrong with it. Pure: used on
 * `state.json` at start-up, on every backup candidate, and by `status`.
 */
import { findJsonSyntaxError } from '../util/jsonSyntax.js';
import { migrateState } from './migrations.js';
import type { PersistedState } from '../domain/persistedState.js';

export type ParsedStateText =
  | { readonly ok: true; readonly state: PersistedState; readonly fromVersion: number }
  | { readonly ok: false; readonly problem: 'syntax'; readonly detail: string; readonly line: number; readonly column: number }
  | { readonly ok: false; readonly problem: 'schema'; readonly detail: string; readonly path: string }
  | { readonly ok: false; readonly problem: 'newer-version'; readonly detail: string };

export function parseStateText(text: string): ParsedStateText {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const at = findJsonSyntaxError(text) ?? { line: 1, column: 1, message: err instanceof Error ? err.message : String(err) };
    return { ok: false, problem: 'syntax', detail: text.trim() === '' ? 'the file is empty' : at.message, line: at.line, column: at.column };
  }
  return migrateState(raw);
}
