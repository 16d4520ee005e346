/**
 * The recorded real Bybit V5 answers of tests/fixtures/bybit-real (each entry names its source and
 * date there), looked up by file and a part of the entry's name, for the contract suite.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bybit-real');

export interface RecordedEntry {
  readonly file: string;
  readonly name: string;
  readonly source: string;
  readonly response: Record<string, unknown>;
}

export function recorded(file: string, namePart: string): RecordedEntry {
  const doc = JSON.parse(readFileSync(join(FIXTURES, `${file}.json`), 'utf8')) as { entries: { name: string; source: string; response?: Record<string, unknown> }[] };
  const hits = doc.entries.filter((e) => e.name.includes(namePart));
  if (hits.length !== 1) throw new Error(`${file}.json: ${hits.length} entries named like "${namePart}"`);
  const e = hits[0]!;
  if (e.response === undefined) throw new Error(`${file}.json "${e.name}" has no recorded response`);
  return { file, name: e.name, source: e.source, response: e.response };
}

/** The recorded answer as the HTTP body: the published JSON, every value as recorded. */
export function body(e: RecordedEntry): { text: string; headers: Record<string, string> } {
  return { text: JSON.stringify(e.response), headers: { 'content-type': 'application/json' } };
}
