/**
 * Programs a few checks need that npm does not install: shellcheck (tests/termux) and headless
 * Chromium (the HTML report in tests/cli/backtest.test.ts). README's Quick start installs them with
 * one command per platform. Where one is missing, its checks are skipped out loud: the test's name
 * says so and a line on stderr says how to install it. In CI (`CI=true`, as `.ci/run` runs) a
 * missing program fails instead, so a full run never passes by skipping.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ExternalTool {
  /** Absolute path of the program, or null when none of its names is on PATH. */
  readonly bin: string | null;
  /** True when its checks are skipped here (missing, and not in CI). */
  readonly skip: boolean;
  /** `name` as given, with "(skipped: … not installed)" appended when skipped. */
  title(name: string): string;
  /** The program's path; throws the install advice when it is missing (how CI fails). */
  need(): string;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `names` in order of preference; `install` is the advice printed when none is found. */
export function externalTool(what: string, names: readonly string[], install: string, env: NodeJS.ProcessEnv = process.env): ExternalTool {
  let bin: string | null = null;
  for (const n of names) {
    bin = onPath(n, env);
    if (bin) break;
  }
  const ci = env.CI === 'true' || env.CI === '1';
  const skip = bin === null && !ci;
  const advice = `${what} is not installed (looked for ${names.join(', ')} on PATH). Install it: ${install}`;
  if (skip) process.stderr.write(`SKIPPED: the checks that need ${what}. ${advice}. The full run (.ci/run, or CI=true npm test) needs it.\n`);
  return {
    bin,
    skip,
    title: (name) => (skip ? `${name} (skipped: ${what} is not installed)` : name),
    need: () => {
      if (bin === null) throw new Error(advice);
      return bin;
    },
  };
}

/** README's Quick start: the one command per platform that installs both programs. */
export const INSTALL_ADVICE = {
  shellcheck: 'Debian/Ubuntu: sudo apt-get install -y shellcheck; Termux: pkg install shellcheck',
  chromium: 'Debian: sudo apt-get install -y chromium; Termux: pkg install x11-repo && pkg install chromium; or set CHROMIUM_BIN',
} as const;

export function shellcheckTool(): ExternalTool {
  return externalTool('shellcheck', ['shellcheck'], INSTALL_ADVICE.shellcheck);
}

/** Debian names it `chromium`; Termux's x11-repo package installs `chromium-browser`. */
export function chromiumTool(): ExternalTool {
  const names = [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome', 'headless_shell'].filter((x): x is string => !!x);
  return externalTool('headless Chromium', names, INSTALL_ADVICE.chromium);
}
