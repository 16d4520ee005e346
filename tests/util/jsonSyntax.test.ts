import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../src/util/jsonSyntax.js';
import { ROOT } from '../helpers/cli.js';

describe('findJsonSyntaxError', () => {
  it('points at the line and column of a missing comma', () => {
    expect(findJsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toEqual({ line: 3, column: 3, message: 'expected "," or "}" after a value, found """ (a missing comma?)' });
  });
  it('explains single quotes and trailing commas', () => {
    expect(findJsonSyntaxError("{'a': 1}")?.message).toMatch(/double quotes/);
    expect(findJsonSyntaxError('[1, 2,]')?.message).toMatch(/trailing comma/);
  });
  it('reports an unterminated document at its end', () => {
    expect(findJsonSyntaxError('{"a": [1, 2')).toMatchObject({ line: 1, column: 12 });
  });

  // Property: on thousands of corruptions of the real config.json, the locator agrees with
  // JSON.parse about validity (it must never call a valid file broken, nor miss a broken one).
  it('agrees with JSON.parse on every single-character corruption of config.json', () => {
    const text = readFileSync(join(ROOT, 'config.json'), 'utf8');
    const replacements = ['', ',', '}', ']', '"', ':', ' ', 'x', '0', '{', '[', "'", '\\'];
    let checked = 0;
    for (let i = 0; i < text.length; i += 3) {
      for (const r of replacements) {
        const mutated = text.slice(0, i) + r + text.slice(i + 1);
        let valid = true;
        try {
          JSON.parse(mutated);
        } catch {
          valid = false;
        }
        expect(findJsonSyntaxError(mutated) === null, `mutation at ${i} with "${r}"`).toBe(valid);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
