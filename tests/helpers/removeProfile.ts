import { rmSync } from 'node:fs';

/**
 * Removes a Chromium profile folder after the browser is gone. Chromium's helper processes (the
 * crash handler, the GPU and network services) can still be writing into it for a few seconds after
 * the browser process ended, most of all on a loaded machine, so the removal fails with ENOTEMPTY or
 * EBUSY. That is the test's clean-up, not what the test checks: it is retried in the background for
 * up to a minute instead of failing the test, and any other error is still thrown.
 */
export function removeProfile(profile: string, triesLeft = 30): void {
  try {
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code !== 'ENOTEMPTY' && code !== 'EBUSY') || triesLeft <= 0) throw e;
    setTimeout(() => removeProfile(profile, triesLeft - 1), 2_000).unref();
  }
}
