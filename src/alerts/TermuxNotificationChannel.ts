/**
 * Android notifications through `termux-notification` (issue 8 item 1; facts: termux.md).
 *
 * - Every call runs under `runGuarded`: a hard timeout, then SIGKILL of the whole process group.
 *   A timeout or a missing binary marks the channel unavailable; it is retried after an
 *   exponential backoff (the next alert after the backoff is the probe) and the bot carries on.
 * - Calls are serialised through a small bounded queue, so a frozen Termux:API app costs one
 *   process at a time, never a pile of hung children.
 * - Event notifications get an id per kind and symbol, so a newer fill for BTCUSDT replaces the
 *   older one; priority follows the level; critical alerts also sound and vibrate.
 * - One ongoing status notification (fixed id, `--ongoing --alert-once`) is replaced in place and
 *   carries Pause / Resume / Close all buttons. Button actions run as `sh -c` in a bare environment
 *   (no PATH), so they are absolute, shell-quoted commands: node, the bot bundle, `--state-dir`.
 */
import { isAbsolute } from 'node:path';
import type { Alert, AlertLevel, StatusSnapshot } from './Alert.js';
import { AlertConfigError } from './AlertConfigError.js';
import type { AlertChannel, DeliveryResult } from './AlertChannel.js';
import { backoffDelayMs } from '../util/backoffDelayMs.js';
import { describeGuarded, runGuarded, type GuardedResult } from './runGuarded.js';
import { shellCommand } from './shellQuote.js';
import { signedCents } from './humanText.js';

export const TERMUX_PRIORITIES = ['min', 'low', 'default', 'high', 'max'] as const;
export type TermuxPriority = (typeof TERMUX_PRIORITIES)[number];

export const DEFAULT_TERMUX_PRIORITIES: Readonly<Record<AlertLevel, TermuxPriority>> = {
  info: 'low',
  trade: 'default',
  warning: 'high',
  critical: 'max',
};

export interface TermuxNotificationOptions {
  /** Absolute node binary for button actions; normally `process.execPath`. */
  readonly nodePath: string;
  /** Absolute path of the bot bundle (dist/bot.js). */
  readonly botPath: string;
  /** Absolute state directory the running bot uses; passed to the control commands. */
  readonly stateDir: string;
  /** Environment for the termux-* commands (PATH decides which binary runs). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Hard timeout per call. Default 8000 ms (termux.md). */
  readonly timeoutMs?: number;
  /** First backoff after the channel becomes unavailable; doubles per failed probe. Default 15 s. */
  readonly backoffBaseMs?: number;
  /** Backoff ceiling. Default 10 min. */
  readonly backoffMaxMs?: number;
  readonly priorities?: Partial<Record<AlertLevel, TermuxPriority>>;
  /** `--group` for event notifications. Default "pocket-scalper". */
  readonly group?: string;
  /** Prefix of every notification id. Default "pocket-scalper". */
  readonly idPrefix?: string;
  /** `--vibrate` pattern for critical alerts. Default "500,250,500". */
  readonly vibratePattern?: string;
  readonly notifyCommand?: string;
  readonly removeCommand?: string;
  /** Pending calls kept while one runs; older non-status calls are dropped beyond this. Default 32. */
  readonly maxQueue?: number;
  readonly now?: () => number;
  /** Told when the channel goes unavailable (with the reason) and when it recovers. */
  readonly onAvailabilityChange?: (available: boolean, detail: string) => void;
}

const MAX_BODY_CHARS = 1500;

interface Job {
  readonly what: 'alert' | 'status' | 'remove';
  args: string[];
  readonly waiters: ((r: DeliveryResult) => void)[];
}

function settleJob(job: Job, result: DeliveryResult): void {
  for (const w of job.waiters) w(result);
}

export class TermuxNotificationChannel implements AlertChannel {
  readonly name = 'termux-notification';
  readonly statusId: string;
  readonly #o: Required<Omit<TermuxNotificationOptions, 'onAvailabilityChange' | 'priorities' | 'env'>> & {
    priorities: Record<AlertLevel, TermuxPriority>;
    env: NodeJS.ProcessEnv;
    onAvailabilityChange: ((available: boolean, detail: string) => void) | undefined;
  };
  readonly #queue: Job[] = [];
  #running: Promise<void> | null = null;
  #available = true;
  #failures = 0;
  #retryAtMs = 0;
  #lastStatus: StatusSnapshot | null = null;
  #statusShown = false;
  #statusStale = false;
  #missed = 0;

  constructor(options: TermuxNotificationOptions) {
    for (const key of ['nodePath', 'botPath', 'stateDir'] as const) {
      const value = options[key];
      if (typeof value !== 'string' || !isAbsolute(value)) {
        // Button actions run in a bare shell without PATH or cwd (termux.md), so relative paths cannot work.
        throw new AlertConfigError(`termux-notification ${key} must be an absolute path, got ${JSON.stringify(value)}`);
      }
    }
    const timeoutMs = options.timeoutMs ?? 8000;
    if (!(timeoutMs > 0)) throw new AlertConfigError(`termux-notification timeoutMs must be > 0, got ${timeoutMs}`);
    this.#o = {
      nodePath: options.nodePath,
      botPath: options.botPath,
      stateDir: options.stateDir,
      env: options.env ?? process.env,
      timeoutMs,
      backoffBaseMs: options.backoffBaseMs ?? 15_000,
      backoffMaxMs: options.backoffMaxMs ?? 600_000,
      priorities: { ...DEFAULT_TERMUX_PRIORITIES, ...options.priorities },
      group: options.group ?? 'pocket-scalper',
      idPrefix: options.idPrefix ?? 'pocket-scalper',
      vibratePattern: options.vibratePattern ?? '500,250,500',
      notifyCommand: options.notifyCommand ?? 'termux-notification',
      removeCommand: options.removeCommand ?? 'termux-notification-remove',
      maxQueue: options.maxQueue ?? 32,
      now: options.now ?? Date.now,
      onAvailabilityChange: options.onAvailabilityChange,
    };
    this.statusId = `${this.#o.idPrefix}.status`;
  }

  get available(): boolean {
    return this.#available;
  }

  /** When the next probe may run (Unix ms); 0 while available. */
  get retryAtMs(): number {
    return this.#available ? 0 : this.#retryAtMs;
  }

  /** Notifications not attempted because the channel was backing off. */
  get missedCount(): number {
    return this.#missed;
  }

  /** The notification id an alert posts under: one per kind and symbol, so updates replace. */
  notificationId(alert: Pick<Alert, 'kind' | 'symbol'>): string {
    const symbol = alert.symbol ? `.${alert.symbol.replace(/[^A-Za-z0-9_-]/g, '_')}` : '';
    return `${this.#o.idPrefix}.${alert.kind}${symbol}`;
  }

  /** The exact argv for an alert (exposed for `doctor` and tests). `-c` is always present. */
  alertArgs(alert: Alert): string[] {
    // A notification shows a few lines; a stack trace or a huge reconcile diff would only bloat argv.
    const body = alert.body.length > MAX_BODY_CHARS ? `${alert.body.slice(0, MAX_BODY_CHARS - 1)}…` : alert.body;
    const args = ['-t', alert.title, '-c', body, '--id', this.notificationId(alert), '--group', this.#o.group, '--priority', this.#o.priorities[alert.level]];
    if (alert.level === 'critical') args.push('--sound', '--vibrate', this.#o.vibratePattern);
    return args;
  }

  /** The absolute `sh -c` commands of the three status buttons. */
  buttonCommands(): { readonly pause: string; readonly resume: string; readonly closeAll: string } {
    const base = [this.#o.nodePath, this.#o.botPath];
    const stateDir = ['--state-dir', this.#o.stateDir];
    return {
      pause: shellCommand([...base, 'pause', ...stateDir]),
      resume: shellCommand([...base, 'resume', ...stateDir]),
      // The button press is the confirmation; there is no TTY to ask on (issue 8 item 2).
      closeAll: shellCommand([...base, 'close-all', '--yes', ...stateDir]),
    };
  }

  statusArgs(snapshot: StatusSnapshot): string[] {
    const buttons = this.buttonCommands();
    return [
      '-t', statusTitle(snapshot),
      '-c', statusContent(snapshot),
      '--id', this.statusId,
      '--ongoing',
      '--alert-once',
      '--priority', 'low',
      '--button1', 'Pause', '--button1-action', buttons.pause,
      '--button2', 'Resume', '--button2-action', buttons.resume,
      '--button3', 'Close all', '--button3-action', buttons.closeAll,
    ];
  }

  send(alert: Alert): Promise<DeliveryResult> {
    return this.#enqueue('alert', this.alertArgs(alert));
  }

  postStatus(snapshot: StatusSnapshot): Promise<DeliveryResult> {
    this.#lastStatus = snapshot;
    this.#statusStale = true;
    const args = this.statusArgs(snapshot);
    // Coalesce: a status still waiting in the queue is simply brought up to date.
    const pending = this.#queue.find((j) => j.what === 'status');
    if (pending) {
      pending.args = args;
      return new Promise((resolve) => pending.waiters.push(resolve));
    }
    return this.#enqueue('status', args);
  }

  /** Waits for queued calls, then removes the ongoing status notification (shutdown). */
  async close(): Promise<void> {
    await this.idle();
    if (!this.#statusShown) return;
    await this.#enqueue('remove', [this.statusId]);
    await this.idle();
  }

  /** Resolves when no call is queued or running. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #gate(): DeliveryResult | null {
    if (this.#available || this.#o.now() >= this.#retryAtMs) return null;
    this.#missed += 1;
    return { status: 'skipped', reason: `termux-notification unavailable until ${new Date(this.#retryAtMs).toISOString()}` };
  }

  #enqueue(what: Job['what'], args: string[]): Promise<DeliveryResult> {
    const gated = this.#gate();
    if (gated) return Promise.resolve(gated);
    return new Promise((done) => {
      if (this.#queue.length >= this.#o.maxQueue) {
        const dropAt = this.#queue.findIndex((j) => j.what === 'alert');
        const dropped = dropAt >= 0 ? this.#queue.splice(dropAt, 1)[0] : undefined;
        if (dropped) settleJob(dropped, { status: 'skipped', reason: 'termux-notification queue full' });
      }
      this.#queue.push({ what, args, waiters: [done] });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      // A job may have been queued after the drain loop saw an empty queue but before it settled.
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
      const gated = this.#gate();
      if (gated) {
        settleJob(job, gated);
        continue;
      }
      const command = job.what === 'remove' ? this.#o.removeCommand : this.#o.notifyCommand;
      const result = await runGuarded(command, job.args, { env: this.#o.env, timeoutMs: this.#o.timeoutMs });
      settleJob(job, this.#settle(command, job, result));
    }
  }

  #settle(command: string, job: Job, result: GuardedResult): DeliveryResult {
    if (result.status === 'ok') {
      if (job.what === 'status') {
        this.#statusShown = true;
        this.#statusStale = false;
      }
      if (job.what === 'remove') this.#statusShown = false;
      if (!this.#available) this.#recover();
      return { status: 'sent' };
    }
    const detail = describeGuarded(command, result);
    if (result.status === 'exit') return { status: 'failed', error: detail };
    // Timeout, missing binary or spawn failure: the platform, not this message, is broken.
    this.#failures += 1;
    const delayMs = backoffDelayMs(this.#failures, { baseMs: this.#o.backoffBaseMs, maxMs: this.#o.backoffMaxMs, jitter: 0 });
    this.#retryAtMs = this.#o.now() + delayMs;
    const wasAvailable = this.#available;
    this.#available = false;
    if (wasAvailable) this.#o.onAvailabilityChange?.(false, `${detail}; retrying in ${Math.round(delayMs / 1000)} s`);
    return { status: 'failed', error: detail };
  }

  #recover(): void {
    this.#available = true;
    this.#failures = 0;
    this.#retryAtMs = 0;
    this.#o.onAvailabilityChange?.(true, `${this.#o.notifyCommand} works again`);
    // The ongoing notification may be missing or out of date after an outage: post the latest.
    if (this.#lastStatus && this.#statusStale && !this.#queue.some((j) => j.what === 'status')) {
      void this.postStatus(this.#lastStatus);
    }
  }
}

function statusTitle(s: StatusSnapshot): string {
  const state = s.waitingFor !== undefined ? `waiting for Bybit: ${s.waitingFor}` : s.paused ? 'PAUSED' : 'running';
  return `pocket-scalper · ${s.mode} · ${state}`;
}

/** "none", or "2 (BTCUSDT long (1/4 targets, stop 101.5), ETHUSDT short)": at most four named. */
function positionsText(list: StatusSnapshot['openPositions']): string {
  const shown = list.slice(0, 4).map((p) => `${p.symbol} ${p.side}${p.detail ? ` (${p.detail})` : ''}`);
  if (list.length > shown.length) shown.push(`+${list.length - shown.length} more`);
  return list.length === 0 ? 'none' : `${list.length} (${shown.join(', ')})`;
}

/** The mirror account's line (issue 24): "MIRROR: trading, open positions: 1 (BTCUSDT long …)" or "MIRROR: not trading: why". */
function mirrorLine(m: NonNullable<StatusSnapshot['mirror']>): string {
  const state = m.trading ? `trading${m.why ? ` (${m.why})` : ''}` : `not trading: ${m.why ?? 'not started'}`;
  return `MIRROR: ${state}; open positions: ${positionsText(m.openPositions)}`;
}

function statusContent(s: StatusSnapshot): string {
  const pnl = signedCents(s.pnlToday);
  const offset = s.clockOffsetMs === undefined ? '' : ` (offset ${s.clockOffsetMs >= 0 ? '+' : ''}${Math.round(s.clockOffsetMs)} ms)`;
  const lines = [
    ...(s.waitingFor !== undefined ? [`Waiting for Bybit: ${s.waitingFor}${s.waitingError ? ` (${s.waitingError})` : ''}; retrying`] : []),
    `PnL today: ${pnl} ${s.quoteCurrency ?? 'USDT'}`,
    `Open positions: ${positionsText(s.openPositions)}`,
    ...(s.mirror ? [mirrorLine(s.mirror)] : []),
    `Clock: ${s.clockTrusted ? 'trusted' : 'NOT trusted, not signing'}${offset}`,
  ];
  if (s.paused && s.pausedReason) lines.push(`Paused: ${s.pausedReason}`);
  return lines.join('\n');
}
