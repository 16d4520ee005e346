/**
 * Hot reload. Watches config.json and its override file (config.local.json, or `--override FILE`;
 * created, edited or deleted) while the bot runs; a valid edit is handed to the bot (per-symbol
 * parameters apply at the next decision), an invalid edit is reported with the same messages as at
 * start-up and the running config is kept. Settings that cannot change under a running bot are
 * named so the owner knows a restart is needed.
 */
import { watch, watchFile, unwatchFile, readFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError, parseConfigText, type LoadedConfig } from './load.js';
import { readOverride, type OverrideSource } from './overrideFile.js';
import type { Config } from './schema.js';

export interface ConfigChange {
  readonly next: LoadedConfig;
  /** Settings that changed but only take effect after a restart (e.g. `mode`, `symbols[BTCUSDT] added`). */
  readonly restartRequired: readonly string[];
}

export interface ConfigWatcherOptions {
  readonly current: LoadedConfig;
  readonly env?: NodeJS.ProcessEnv;
  readonly sets?: readonly string[];
  readonly onChange: (change: ConfigChange) => void;
  readonly onInvalid: (error: ConfigError) => void;
  /** Editors write in bursts (truncate, write, rename); wait this long for the file to settle. */
  readonly debounceMs?: number;
  /** Poll interval as a fallback where file events are unreliable. */
  readonly pollMs?: number;
}

/** Top-level settings read once at start-up. */
const RESTART_KEYS = ['mode', 'confirmMainnet', 'stateDir', 'exchange', 'clock', 'log', 'paper', 'alerts', 'schedules', 'battery'] as const;

export function restartRequired(prev: Config, next: Config): string[] {
  const out: string[] = [];
  for (const k of RESTART_KEYS) if (JSON.stringify(prev[k]) !== JSON.stringify(next[k])) out.push(k);
  const before = new Map(prev.symbols.map((s) => [s.symbol, s]));
  const after = new Map(next.symbols.map((s) => [s.symbol, s]));
  for (const [sym, s] of after) {
    const old = before.get(sym);
    if (!old) out.push(`symbols[${sym}] added`);
    else {
      if (!old.enabled && s.enabled) out.push(`symbols[${sym}] enabled`);
      if (old.strategy !== s.strategy) out.push(`symbols[${sym}].strategy`);
      if (old.intervalMinutes !== s.intervalMinutes) out.push(`symbols[${sym}].intervalMinutes`);
    }
  }
  for (const sym of before.keys()) if (!after.has(sym)) out.push(`symbols[${sym}] removed`);
  return out;
}

export class ConfigWatcher {
  /** The configuration the bot started with: what a restart-only setting is compared against. */
  readonly #started: LoadedConfig;
  #current: LoadedConfig;
  #lastText: string;
  #lastOverride: string | null;
  #dirWatchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | null = null;
  #watcher: FSWatcher | null = null;
  #closed = false;
  readonly #opts: ConfigWatcherOptions;

  constructor(opts: ConfigWatcherOptions) {
    this.#opts = opts;
    this.#started = opts.current;
    this.#current = opts.current;
    this.#lastText = opts.current.text;
    this.#lastOverride = opts.current.override?.text ?? null;
  }

  get current(): LoadedConfig {
    return this.#current;
  }

  start(): this {
    const path = this.#current.path;
    const name = basename(path);
    try {
      // Watch the directory: editors often replace the file by rename, which ends a file watch.
      this.#watcher = watch(dirname(path), (_event, file) => {
        if (file === null || file === name || String(file) === name) this.#schedule();
      });
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = null;
      });
    } catch {
      this.#watcher = null;
    }
    watchFile(path, { interval: this.#opts.pollMs ?? 2000, persistent: false }, () => this.#schedule());
    this.#watchOverride();
    return this;
  }

  /** The override file: by its directory (it may not exist yet) and by polling. */
  #watchOverride(): void {
    const override = this.#current.override;
    if (!override) return;
    const name = basename(override.path);
    try {
      const w = watch(dirname(override.path), (_event, file) => {
        if (file === null || String(file) === name) this.#schedule();
      });
      w.on('error', () => w.close());
      this.#dirWatchers.push(w);
    } catch {
      // Polling below still sees it.
    }
    watchFile(override.path, { interval: this.#opts.pollMs ?? 2000, persistent: false }, () => this.#schedule());
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#watcher?.close();
    unwatchFile(this.#current.path);
    for (const w of this.#dirWatchers) w.close();
    if (this.#current.override) unwatchFile(this.#current.override.path);
  }

  /** Re-reads the file now (also what the watchers trigger). */
  check(): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = readFileSync(this.#current.path, 'utf8');
    } catch {
      return; // Mid-rename or deleted: keep running on what we have; the next event re-checks.
    }
    const was = this.#current.override;
    let override: OverrideSource | undefined;
    try {
      override = was ? readOverride(was.path, was.explicit) : undefined;
    } catch {
      return; // Mid-rename, or a named override file gone: keep running; the next event re-checks.
    }
    const overrideText = override?.text ?? null;
    if (text === this.#lastText && overrideText === this.#lastOverride) return;
    this.#lastText = text;
    this.#lastOverride = overrideText;
    try {
      const next = parseConfigText(text, this.#current.path, { env: this.#opts.env ?? {}, sets: this.#opts.sets ?? [], ...(override ? { override } : {}) });
      // Against the running process, not the previous edit: saving the original back clears it.
      const change = { next, restartRequired: restartRequired(this.#started.config, next.config) };
      this.#current = next;
      this.#opts.onChange(change);
    } catch (e) {
      if (e instanceof ConfigError) this.#opts.onInvalid(e);
      else throw e;
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.check();
    }, this.#opts.debounceMs ?? 250);
  }
}
