/**
 * Battery awareness (issue 8 item 4), the poller: reads `termux-battery-status` under the same hard
 * timeout as every Termux:API call, feeds `decideBattery`, and on a pause or resume tells the bot
 * (`onChange`) and the owner (an alert). Timers are injected so tests drive time; they are
 * `unref`'d when possible so the monitor alone never keeps the process alive.
 * A failed read keeps the previous decision (we do not trade blind into a pause or out of one)
 * and the next read backs off.
 */
import type { AlertInput } from './Alert.js';
import { backoffDelayMs } from '../util/backoffDelayMs.js';
import { decideBattery, resolveBatteryPolicy, type BatteryCondition, type BatteryDecision, type BatteryPolicy, type BatteryReading } from './decideBattery.js';
import { describeGuarded, runGuarded } from './runGuarded.js';

export class BatteryStatusError extends Error {
  override name = 'BatteryStatusError';
}

/** Parses `termux-battery-status` JSON (termux.md: `{percentage, plugged, status, temperature, …}`). */
export function parseBatteryStatus(text: string): BatteryReading {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BatteryStatusError(`termux-battery-status printed something that is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new BatteryStatusError('termux-battery-status printed JSON that is not an object');
  const o = raw as Record<string, unknown>;
  const percentage = o.percentage;
  const temperature = o.temperature;
  const plugged = o.plugged;
  if (typeof percentage !== 'number' || !(percentage >= 0 && percentage <= 100)) {
    throw new BatteryStatusError(`termux-battery-status: "percentage" should be a number 0–100, got ${JSON.stringify(percentage)}`);
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature)) {
    throw new BatteryStatusError(`termux-battery-status: "temperature" should be a number (°C), got ${JSON.stringify(temperature)}`);
  }
  if (typeof plugged !== 'string') throw new BatteryStatusError(`termux-battery-status: "plugged" should be a string, got ${JSON.stringify(plugged)}`);
  return { percentage, plugged, temperatureC: temperature, status: typeof o.status === 'string' ? o.status : 'UNKNOWN' };
}

export interface ReadBatteryOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Default 8000 ms. */
  readonly timeoutMs?: number;
  readonly command?: string;
}

/** Runs `termux-battery-status` under the hard timeout; throws BatteryStatusError on any failure. */
export async function readBatteryStatus(options: ReadBatteryOptions = {}): Promise<BatteryReading> {
  const command = options.command ?? 'termux-battery-status';
  const result = await runGuarded(command, [], { ...(options.env ? { env: options.env } : {}), timeoutMs: options.timeoutMs ?? 8000 });
  if (result.status !== 'ok') throw new BatteryStatusError(describeGuarded(command, result));
  return parseBatteryStatus(result.stdout);
}

export interface MonitorTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BatteryMonitorOptions {
  readonly policy: BatteryPolicy;
  /** Between reads. Default 60 s. */
  readonly intervalMs?: number;
  /** Ceiling of the backoff after failed reads. Default 30 min. */
  readonly maxBackoffMs?: number;
  /** Default: `readBatteryStatus()` with the real command. */
  readonly read?: () => Promise<BatteryReading>;
  /** Told on every pause and resume; the bot stops or restarts new entries. */
  readonly onChange?: (decision: BatteryDecision, reading: BatteryReading) => void;
  /** Where owner alerts go; usually `router.send.bind(router)`. */
  readonly alert?: (alert: AlertInput) => unknown;
  readonly onError?: (message: string) => void;
  readonly timers?: MonitorTimers;
}

const defaultTimers: MonitorTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class BatteryMonitor {
  readonly #policy: Required<BatteryPolicy>;
  readonly #intervalMs: number;
  readonly #maxBackoffMs: number;
  readonly #read: () => Promise<BatteryReading>;
  readonly #o: BatteryMonitorOptions;
  readonly #timers: MonitorTimers;
  #conditions: readonly BatteryCondition[] = [];
  #last: BatteryDecision | null = null;
  #failures = 0;
  #timer: unknown = null;
  #running = false;

  constructor(options: BatteryMonitorOptions) {
    this.#policy = resolveBatteryPolicy(options.policy);
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30 * 60_000;
    this.#read = options.read ?? (() => readBatteryStatus());
    this.#timers = options.timers ?? defaultTimers;
    this.#o = options;
  }

  /** True while new entries should stay paused for battery reasons. */
  get paused(): boolean {
    return this.#conditions.length > 0;
  }

  get lastDecision(): BatteryDecision | null {
    return this.#last;
  }

  /** Reads now and schedules the following reads. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) this.#timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** One read and decision; null when the read failed (the previous state stands). */
  async pollOnce(): Promise<BatteryDecision | null> {
    let reading: BatteryReading;
    try {
      reading = await this.#read();
    } catch (e) {
      this.#failures += 1;
      const message = e instanceof Error ? e.message : String(e);
      this.#o.onError?.(message);
      if (this.#failures === 1) {
        this.#o.alert?.({ level: 'warning', kind: 'battery', title: 'Battery status unavailable', body: `${message}. Battery protection keeps its last decision.`, dedupeKey: 'battery.unavailable' });
      }
      return null;
    }
    this.#failures = 0;
    const decision = decideBattery(reading, this.#conditions, this.#policy);
    this.#conditions = decision.conditions;
    this.#last = decision;
    if (decision.action !== 'none') {
      this.#o.onChange?.(decision, reading);
      this.#o.alert?.(
        decision.action === 'pause'
          ? { level: 'warning', kind: 'battery', title: 'New entries paused: battery', body: `${decision.reason}. Open positions keep their exchange stops.` }
          : { level: 'info', kind: 'battery', title: 'New entries resumed: battery ok', body: decision.reason },
      );
    }
    return decision;
  }

  async #tick(): Promise<void> {
    await this.pollOnce();
    if (!this.#running) return;
    const delayMs = this.#failures === 0 ? this.#intervalMs : Math.max(this.#intervalMs, backoffDelayMs(this.#failures, { baseMs: this.#intervalMs, maxMs: this.#maxBackoffMs, jitter: 0 }));
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = null;
      void this.#tick();
    }, delayMs);
  }
}

/** Termux detection, for "battery awareness on by default on Termux" (termux.md: platform is 'android'). */
export function isTermux(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): boolean {
  return platform === 'android' || (env.PREFIX ?? '').includes('/com.termux/') || env.TERMUX_VERSION !== undefined;
}
