/**
 * Issue 10 "done when": shellcheck (the Debian package) passes on every script under termux/. The
 * scripts Termux plugins launch must carry the absolute Termux shebang (reference/termux.md: no
 * shebang rewriting in boot, widget and notification contexts). Without shellcheck the check is
 * skipped out loud, and fails in CI (tests/helpers/externalTool.ts).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellcheckTool } from '../helpers/externalTool.js';
import { REPO } from './fakeTermux.js';

const TERMUX_DIR = join(REPO, 'termux');
const SHEBANG = '#!/data/data/com.termux/files/usr/bin/sh\n';

function scripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? scripts(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('termux/ scripts', () => {
  const files = scripts(TERMUX_DIR).sort();
  const shellcheck = shellcheckTool();

  it('are all there: installer, uninstaller, service, log, boot script and six widget shortcuts', () => {
    expect(files.map((f) => relative(TERMUX_DIR, f))).toEqual([
      'boot/pocket-scalper',
      'install.sh',
      'service/finish',
      'service/log/run',
      'service/run',
      'shortcuts/pocket-close-all',
      'shortcuts/pocket-pause',
      'shortcuts/pocket-resume',
      'shortcuts/pocket-start',
      'shortcuts/pocket-status',
      'shortcuts/pocket-stop',
      'uninstall.sh',
    ]);
  });

  it.skipIf(shellcheck.skip)(shellcheck.title('pass shellcheck'), () => {
    const result = spawnSync(shellcheck.need(), ['--format=gcc', ...files], { encoding: 'utf8' });
    expect(result.stdout + result.stderr, 'shellcheck findings').toBe('');
    expect(result.status).toBe(0);
  });

  it('start with the absolute Termux shebang and are executable', () => {
    for (const f of files) {
      expect(readFileSync(f, 'utf8').startsWith(SHEBANG), `${relative(REPO, f)} shebang`).toBe(true);
      expect(statSync(f).mode & 0o111, `${relative(REPO, f)} executable bits`).toBe(0o111);
    }
  });
});
