/**
 * The running bot's side of a full or read-only state directory (issue 22): what it says, once, and
 * what it blocks. Start-up refuses a read-only directory (exit 2) and waits for a full one, before
 * anything is sent; while running, a storage outage stops new positions and quotes at once (open
 * positions keep their exchange stops), is said in one ERROR line and one notification, recalled at
 * most every 10 minutes, shown by `status`, and ends by itself when a probe write succeeds.
 */
import { mkdir } from 'node:fs/promises';
import type { EngineAlert } from '../engine/ports.js';
import { probeWritable } from '../state/durableFile.js';
import { StorageMark } from '../state/storageMark.js';
import { StorageMonitor, type StorageOutage } from '../state/storageMonitor.js';
import { describeUsage, storageUsage } from '../state/storageUsage.js';
import { backoffDelayMs } from '../util/backoffDelayMs.js';
import { UserFacingError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { isReadOnlyError, isStorageError } from '../util/writeFault.js';

export interface StorageWatchOptions {
  readonly stateDir: string;
  readonly logger: Logger;
  readonly send: (alert: EngineAlert) => void;
  /** Writes what was held (journal first, then state); resolves with the records written late. */
  readonly recover: () => Promise<number>;
  /** Where records that could not be written before exit are printed (the terminal). */
  readonly terminal: (text: string) => void;
  /** Tests only: probe interval (default 30 s). */
  readonly probeEveryMs?: number;
}

export interface StorageWatch {
  /** A write failed: true when it was a storage error (the outage is handled here). */
  report(err: unknown): boolean;
  /** The engine's entry block, applied now if an outage is already on. */
  attach(setBlock: (reason: string | null) => void): void;
  /** Shutdown: stops probing; prints records still held (they could not be written). */
  stop(heldLines: readonly string[]): void;
}

/** What the owner can do about it, by the kind of error. */
function fixFor(outage: StorageOutage, usage: string): string {
  if (outage.code === 'EROFS') return `the storage became read-only: make it writable again (or restart the phone); the bot retries every 30 s (its files: ${usage})`;
  if (outage.code === 'EACCES' || outage.code === 'EPERM') return `the bot may no longer write there: give it back write access; it retries every 30 s (its files: ${usage})`;
  return `free space on that storage: ${usage}; old files in backups/ and bot.log.N can go. The bot retries every 30 s and resumes by itself`;
}

const blockReason = (o: StorageOutage): string => `state directory not writable (${o.code})`;

export function watchStorage(o: StorageWatchOptions): StorageWatch {
  const mark = StorageMark.open(o.stateDir);
  let setBlock: (reason: string | null) => void = () => {};
  const monitor = new StorageMonitor(o.stateDir, {
    recover: o.recover,
    ...(o.probeEveryMs === undefined ? {} : { probeEveryMs: o.probeEveryMs }),
    onDown: (outage) => {
      // At once, before anything is said: no entry or quote may go out on unwritable books.
      setBlock(blockReason(outage));
      mark?.set({ notWritableSinceMs: outage.sinceMs, error: outage.message });
      void storageUsage(o.stateDir).then((u) => {
        const usage = describeUsage(u);
        o.logger.error('state directory not writable: not opening positions or quotes; open positions keep their exchange stops; trades are kept in memory until it can be written', {
          dir: o.stateDir,
          error: outage.message,
          fix: fixFor(outage, usage),
        });
        o.send({
          level: 'critical',
          kind: 'error',
          title: outage.code === 'ENOSPC' || outage.code === 'EDQUOT' ? 'Not trading: storage full' : 'Not trading: storage not writable',
          body: `${o.stateDir}: ${outage.message}. No new positions or quotes; open positions keep their exchange stops; trades are kept in memory and written when the storage works again. Fix: ${fixFor(outage, usage)}.`,
        });
      });
    },
    onReminder: (outage) => {
      o.logger.warn('state directory still not writable: not opening positions or quotes', { dir: o.stateDir, since: new Date(outage.sinceMs).toISOString(), error: outage.message });
    },
    onUp: (outage, late) => {
      setBlock(null);
      mark?.set(null);
      const minutes = Math.max(1, Math.round((Date.now() - outage.sinceMs) / 60_000));
      const text = `${late} journal record(s) written late; opening positions and quotes again`;
      o.logger.info(`state directory writable again after ${minutes} min: ${text}`, { dir: o.stateDir });
      o.send({ level: 'info', kind: 'error', title: 'Storage writable again: trading resumed', body: `${o.stateDir}: ${text}.` });
    },
  });
  return {
    report: (err) => monitor.report(err),
    attach(block) {
      setBlock = block;
      if (monitor.outage !== null) block(blockReason(monitor.outage));
    },
    stop(heldLines) {
      monitor.stop();
      if (heldLines.length > 0) {
        o.logger.error(`${heldLines.length} journal record(s) could not be written before exit (the state directory is still not writable); they follow as JSON lines: add them to the journal by hand`, { dir: o.stateDir });
        for (const line of heldLines) o.terminal(`unwritten journal record: ${line}`);
      } else mark?.close();
    },
  };
}

/**
 * Before anything is sent (issue 22 item 5): a read-only state directory is refused with exit 2;
 * a full one is waited for (retrying with backoff, said once), like any transient fault. SIGINT or
 * SIGTERM while waiting end start-up cleanly (exit 0).
 */
export async function waitForWritableStateDir(stateDir: string, logger: Logger, send: (alert: EngineAlert) => void): Promise<void> {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  let stop: ((err: Error) => void) | null = null;
  let stopped: Error | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(stateDir, { recursive: true });
        await probeWritable(stateDir);
        if (attempt > 0) logger.info('state directory writable: starting', { dir: stateDir });
        return;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (isReadOnlyError(e)) {
          throw new UserFacingError(`the state directory ${stateDir} cannot be written (${message}); nothing was sent. Fix: make it writable, or point stateDir in config.json (or --state-dir) at a folder on writable storage.`, 2);
        }
        if (!isStorageError(e)) throw e;
        if (attempt === 0) {
          const usage = describeUsage(await storageUsage(stateDir));
          logger.error('state directory full: waiting for free space before trading; nothing was sent', { dir: stateDir, error: message, fix: `free space on that storage (${usage}); retrying by itself, stop with SIGTERM` });
          send({ level: 'critical', kind: 'error', title: 'Not trading: storage full', body: `${stateDir}: ${message}. Waiting for free space before starting; nothing was sent. Its files: ${usage}.` });
          onSignal = (signal) => {
            stopped = new UserFacingError(`stopped (${signal}) while waiting for the state directory to be writable; nothing was sent`, 0);
            stop?.(stopped);
          };
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
        }
      }
      if (stopped !== null) throw stopped;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, backoffDelayMs(attempt, { baseMs: 1_000, maxMs: 15_000, minMs: 500 }));
        stop = (err) => {
          clearTimeout(timer);
          reject(err);
        };
      });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
