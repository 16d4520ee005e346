import type { ClockService } from '../clock/clockService.js';
import { UserFacingError } from '../util/errors.js';

/**
 * Waits, without exiting, until the clock is trusted: the clock re-measures by itself meanwhile
 * (ClockService backs off up to a minute) and the owner heard why once, through the clockDistrust
 * alert. SIGINT/SIGTERM during the wait end start-up cleanly (exit 0): run.ts holds those signals
 * until startBot returns, which it would not do while the sources disagree.
 */
export async function waitForTrust(clock: ClockService): Promise<void> {
  if (clock.isTrusted()) return;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  let offTrust: () => void = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      offTrust = clock.onTrustChange((s) => {
        if (s.trusted) resolve();
      });
      onSignal = (signal) => reject(new UserFacingError(`stopped (${signal}) while waiting for a trusted clock; nothing was signed`, 0));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
  } finally {
    offTrust();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
