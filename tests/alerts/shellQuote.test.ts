import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellCommand, shellQuote } from '../../src/alerts/shellQuote.js';

describe('shellQuote', () => {
  it('survives a real sh -c round trip for awkward arguments', () => {
    const args = ['/data/data/com.termux/files/usr/bin/node', 'my dir/bot.js', "it's", '$HOME', '`id`', 'a"b', 'back\\slash', 'new\nline', '', '*', '--state-dir=/x y'];
    // printf repeats its format per argument: one NUL-terminated field each.
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellCommand(args)}`], { env: {} }).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });

  it('leaves plain paths readable', () => {
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
    expect(shellQuote('a b')).toBe("'a b'");
  });
});
