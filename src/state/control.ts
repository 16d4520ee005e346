/**
 * Owner control of a running bot (issue 8 item 2): `pause`, `resume` and `close-all` (from the
 * terminal, a widget or a notification button) drop a request file in `<stateDir>/control/` and
 * send SIGUSR2 to the PID in the lock file (SIGUSR1 belongs to Node's debugger). The bot handles
 * requests in order, writes `<id>.ack` with the outcome, and removes the request. It also looks
 * at the folder every second, so a request still lands when the signal cannot be delivered.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { isAlive, readLockOwner } from './stateLock.js';

export const CONTROL_COMMANDS = ['pause', 'resume', 'close-all'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

const RequestSchema = v.object({
  id: v.string(),
  command: v.picklist(CONTROL_COMMANDS),
  reason: v.string(),
  requestedAtMs: v.number(),
  /** `resume --reset-peak`: accept the loss; the equity now becomes the peak drawdown is measured from. */
  resetPeak: v.optional(v.boolean()),
});
export type ControlRequest = v.InferOutput<typeof RequestSchema>;

const AckSchema = v.object({ id: v.string(), ok: v.boolean(), message: v.string(), handledAtMs: v.number() });
export type ControlAck = v.InferOutput<typeof AckSchema>;

export function controlDir(stateDir: string): string {
  return join(stateDir, 'control');
}

export type SubmitOutcome =
  | { readonly status: 'sent'; readonly id: string; readonly pid: number }
  | { readonly status: 'no-bot' };

/** Queues a request for the running bot and signals it; `no-bot` when no live process holds the lock. */
export function submitControl(stateDir: string, command: ControlCommand, reason: string, nowMs = Date.now(), opts: { readonly resetPeak?: boolean } = {}): SubmitOutcome {
  const owner = readLockOwner(stateDir);
  if (!owner || !isAlive(owner)) return { status: 'no-bot' };
  const dir = controlDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Sortable by time, unique without coordination.
  const id = `${nowMs.toString().padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
  const tmp = join(dir, `.${id}.tmp`);
  writeFileSync(tmp, JSON.stringify({ id, command, reason, requestedAtMs: nowMs, ...(opts.resetPeak ? { resetPeak: true } : {}) } satisfies ControlRequest));
  renameSync(tmp, join(dir, `${id}.json`));
  try {
    process.kill(owner.pid, 'SIGUSR2');
  } catch {
    // The bot polls the folder as well; the request still lands within a second.
  }
  return { status: 'sent', id, pid: owner.pid };
}

/** Waits for the bot's acknowledgement of a request. */
export async function awaitAck(stateDir: string, id: string, timeoutMs: number): Promise<ControlAck | null> {
  const file = join(controlDir(stateDir), `${id}.ack`);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (existsSync(file)) {
      try {
        const ack = v.parse(AckSchema, JSON.parse(readFileSync(file, 'utf8')));
        rmSync(file, { force: true });
        return ack;
      } catch {
        // Half-written: try again.
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** The bot's side: picks up requests (on SIGUSR2 and every `pollMs`), runs them one at a time, acknowledges. */
export class ControlInbox {
  readonly #dir: string;
  readonly #handle: (request: ControlRequest) => Promise<string>;
  readonly #onError: (message: string) => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #busy: Promise<void> = Promise.resolve();
  readonly #onSignal = (): void => {
    void this.check();
  };

  constructor(stateDir: string, handle: (request: ControlRequest) => Promise<string>, opts: { onError?: (message: string) => void; now?: () => number } = {}) {
    this.#dir = controlDir(stateDir);
    this.#handle = handle;
    this.#onError = opts.onError ?? (() => {});
    this.#now = opts.now ?? Date.now;
  }

  start(pollMs = 1000): this {
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    process.on('SIGUSR2', this.#onSignal);
    this.#timer = setInterval(() => void this.check(), pollMs);
    this.#timer.unref();
    void this.check();
    return this;
  }

  stop(): Promise<void> {
    process.off('SIGUSR2', this.#onSignal);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    return this.#busy;
  }

  /** Handles every waiting request, oldest first. Returns when they are done. */
  check(): Promise<void> {
    this.#busy = this.#busy.then(() => this.#drain());
    return this.#busy;
  }

  async #drain(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.#dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const file = join(this.#dir, name);
      let request: ControlRequest;
      try {
        request = v.parse(RequestSchema, JSON.parse(readFileSync(file, 'utf8')));
      } catch {
        this.#onError(`ignored a malformed control request ${name}`);
        rmSync(file, { force: true });
        continue;
      }
      let ack: ControlAck;
      try {
        ack = { id: request.id, ok: true, message: await this.#handle(request), handledAtMs: this.#now() };
      } catch (e) {
        ack = { id: request.id, ok: false, message: e instanceof Error ? e.message : String(e), handledAtMs: this.#now() };
      }
      const tmp = join(this.#dir, `.${request.id}.ack.tmp`);
      writeFileSync(tmp, JSON.stringify(ack));
      renameSync(tmp, join(this.#dir, `${request.id}.ack`));
      rmSync(file, { force: true });
    }
  }
}
