/**
 * What the running bot says about its trades and locks beyond the engine's own lines: a trade's
 * progress for the ongoing notification, and each entry lock once when it starts and once when it
 * ends (issue 16 item 4).
 */
import { humanText } from '../alerts/humanText.js';
import { dec } from '../domain/money.js';
import type { DeepReadonly, PositionState } from '../domain/persistedState.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../util/logger.js';

const LOCK_CHECK_MS = 1000;

/** A trade's progress for the ongoing notification: targets filled and where the stop is. */
export function positionProgress(pos: DeepReadonly<PositionState> | null): string | undefined {
  if (!pos) return undefined;
  const parts: string[] = [];
  if (pos.targets.length) parts.push(`${pos.targets.filter((t) => t.filled).length}/${pos.targets.length} targets`);
  if (pos.stop) {
    const be = pos.side === 'long' ? dec(pos.stop.price).gte(pos.entryPrice) : dec(pos.stop.price).lte(pos.entryPrice);
    parts.push(`stop ${pos.stop.price}${be ? ' (breakeven)' : ''}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * Says once when an entry lock (daily loss, drawdown, loss streak, pause, kill switch) starts and
 * once when it ends (a pause is reported by its command); the signals it refuses go to the debug log.
 */
export function watchLocks(engine: Engine, logger: Logger): { check(): void; stop(): void } {
  let active = new Map<string, string>();
  const check = (): void => {
    // A pause is the owner's own act: its control command and the start-up line report it.
    const now = new Map(engine.snapshot().locks.filter((l) => l.name !== 'paused').map((l) => [l.name as string, l.reason]));
    for (const [name, reason] of now) {
      if (!active.has(name)) logger.warn(`entries stopped (${humanText(name)}): ${reason}`);
    }
    for (const name of active.keys()) if (!now.has(name)) logger.info(`entries allowed again: the ${humanText(name)} lock has ended`);
    active = now;
  };
  check();
  const timer = setInterval(check, LOCK_CHECK_MS);
  return { check, stop: () => clearInterval(timer) };
}
