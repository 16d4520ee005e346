/**
 * Finds the first JSON syntax error in a text and says where it is (line and column, 1-based),
 * because Node's JSON.parse messages do not always carry a position and a phone owner editing
 * config.json needs to know exactly where the typo is.
 */
export interface JsonSyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export function findJsonSyntaxError(text: string): JsonSyntaxProblem | null {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new LocatedError(message, at);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const describe = (at: number): string => (at >= text.length ? 'the end of the file' : `"${text[at]}"`);

  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : null;
    if (word !== null) {
      // Point at the first wrong character of a misspelt or cut-off literal ("nul", "ture").
      for (const ch of word) {
        if (text[i] !== ch) fail(`expected "${word}", found ${describe(i)}`);
        i++;
      }
      return;
    }
    if (c === "'") fail('strings must use double quotes (") in JSON');
    fail(`expected a value (a number, "text", true, false, null, { or [), found ${describe(i)}`);
  };
  const object = (): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === '}') fail('trailing comma before "}" is not allowed in JSON');
      if (text[i] !== '"') fail(`expected a key in double quotes, found ${describe(i)}`);
      string();
      ws();
      if (text[i] !== ':') fail(`expected ":" after the key, found ${describe(i)}`);
      i++;
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected "," or "}" after a value, found ${describe(i)} (a missing comma?)`);
    }
  };
  const array = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === ']') fail('trailing comma before "]" is not allowed in JSON');
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected "," or "]" after a value, found ${describe(i)}`);
    }
  };
  const string = (): void => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      const ch = text[i]!;
      if (ch === '\n') fail('a string is not closed before the end of the line', start);
      if (ch === '\\') {
        i++;
        const esc = text[i];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape in a string');
          i += 4;
        } else if (esc === undefined || !'"\\/bfnrt'.includes(esc)) fail(`bad escape "\\${esc ?? ''}" in a string`);
      } else if (ch < ' ') fail('control character inside a string');
      i++;
    }
    if (i >= text.length) fail('a string is not closed', start);
    i++;
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail(`malformed number starting with ${describe(i)}`);
    i += m![0].length;
  };

  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1; // a BOM, as some phone editors write
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe(i)} after the end of the JSON document`);
    return null;
  } catch (e) {
    if (!(e instanceof LocatedError)) throw e;
    const before = text.slice(0, e.at);
    const line = before.split('\n').length;
    const column = e.at - (before.lastIndexOf('\n') + 1) + 1;
    return { line, column, message: e.message };
  }
}

class LocatedError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}
