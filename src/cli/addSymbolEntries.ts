/**
 * `scan --add N` writes new entries into config.json by editing its text, not by re-serialising it:
 * every other key, its order, the indentation, the line endings and a trailing newline stay as the
 * owner left them. The new entries go after the last element of the top-level `symbols` array,
 * one compact object per line at the indentation of the existing elements.
 */

/** Where the top-level `symbols` array's last element starts and ends, and where its `]` is (-1: empty). */
interface ArraySpan {
  readonly lastElementStart: number;
  readonly lastElementEnd: number;
  readonly close: number;
}

/** Skips a JSON string starting at `i` (a quote); returns the index after its closing quote. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

function findSymbolsArray(text: string): ArraySpan {
  let depth = 0;
  let key: string | null = null;
  let expectKey = false;
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = skipString(text, i);
      if (depth === 1 && expectKey) key = JSON.parse(text.slice(i, end)) as string;
      expectKey = false;
      i = end;
      continue;
    }
    if (ch === '{' || ch === '[') {
      if (depth === 1 && ch === '[' && key === 'symbols') return spanOf(text, i);
      depth++;
      expectKey = ch === '{' && depth === 1;
    } else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 1) expectKey = true;
    i++;
  }
  throw new SyntaxError('no top-level "symbols" array');
}

/** The span of the array opening at `open` (valid JSON: parsed before it is edited). */
function spanOf(text: string, open: number): ArraySpan {
  let depth = 0;
  let lastElementStart = -1;
  let lastElementEnd = -1;
  let expectValue = false;
  for (let i = open; i < text.length; ) {
    const ch = text[i]!;
    if (depth === 1 && expectValue && !/\s/.test(ch) && ch !== ']') {
      lastElementStart = i;
      expectValue = false;
    }
    if (ch === '"') {
      i = skipString(text, i);
      if (depth === 1) lastElementEnd = i;
      continue;
    }
    if (ch === '{' || ch === '[') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return { lastElementStart, lastElementEnd, close: i };
      if (depth === 1) lastElementEnd = i + 1;
    } else if (depth === 1 && ch === ',') expectValue = true;
    else if (depth === 1 && /[-0-9a-z.+E]/.test(ch)) lastElementEnd = i + 1;
    i++;
  }
  throw new SyntaxError('unterminated "symbols" array');
}

function lineStart(text: string, i: number): number {
  return text.lastIndexOf('\n', i - 1) + 1;
}

/** `text` with `entries` appended to its `symbols` array; the rest of the text unchanged. */
export function addSymbolEntries(text: string, entries: readonly Readonly<Record<string, unknown>>[]): string {
  if (entries.length === 0) return text;
  const { lastElementStart, lastElementEnd, close } = findSymbolsArray(text);
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  const compact = (e: Readonly<Record<string, unknown>>): string =>
    `{ ${Object.entries(e)
      .map(([k, val]) => `${JSON.stringify(k)}: ${JSON.stringify(val)}`)
      .join(', ')} }`;
  if (lastElementEnd < 0) {
    // An empty array (config.json needs one entry, but the edit need not): fill it on one line each.
    const indent = /^[ \t]*/.exec(text.slice(lineStart(text, close)))![0];
    const inner = `${indent}  `;
    return `${text.slice(0, close)}${newline}${entries.map((e) => inner + compact(e)).join(`,${newline}`)}${newline}${indent}${text.slice(close)}`;
  }
  // Elements on lines of their own: the new ones follow on new lines at the same indentation.
  // Elements on one line with the brackets: the new ones follow on that line.
  const between = text.slice(lastElementEnd, close);
  const ownLines = between.includes('\n');
  const indent = /^[ \t]*/.exec(text.slice(lineStart(text, lastElementStart)))![0];
  const added = ownLines ? entries.map((e) => `,${newline}${indent}${compact(e)}`).join('') : entries.map((e) => `, ${compact(e)}`).join('');
  return text.slice(0, lastElementEnd) + added + text.slice(lastElementEnd);
}
