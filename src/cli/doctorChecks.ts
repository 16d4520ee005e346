/**
 * The checks of `node dist/bot.js doctor` (issue 10 item 4), one function per check, each returning
 * `{id, status, message, fix}`. They explain rather than throw: a check that cannot run says why
 * (`skip`) and the rest still run, so one broken part never hides the others.
 *
 * Platform facts (Termux:API hanging, wake lock, battery optimisation, the phantom process killer,
 * `$PREFIX/tmp` being erased) are from reference/termux.md.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { readBatteryStatus } from '../alerts/BatteryMonitor.js';
import { runGuarded } from '../alerts/runGuarded.js';
import type { ClockMeasurement } from '../clock/clockMeasurement.js';
import type { ClockStatus } from '../clock/clockService.js';
import type { Config } from '../config/schema.js';
import { secretsPath } from '../config/secrets.js';

export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skip'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface DoctorCheck {
  /** Stable identifier for scripts reading `doctor --json`, e.g. `node`, `key-withdraw`. */
  readonly id: string;
  readonly status: CheckStatus;
  /** What was found, in one or two sentences. Never a secret. */
  readonly message: string;
  /** What to do about it; null when nothing needs doing. */
  readonly fix: string | null;
}

export function check(id: string, status: CheckStatus, message: string, fix: string | null = null): DoctorCheck {
  return { id, status, message, fix };
}

/** package.json `engines.node`: the bundle targets node20 and uses APIs from 20.19. */
export const MIN_NODE = [20, 19] as const;

export function checkNodeVersion(version: string): DoctorCheck {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  const [major, minor] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  const okVersion = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  if (okVersion) return check('node', 'ok', `Node.js ${version}`);
  return check(
    'node',
    'fail',
    `Node.js ${version} is older than ${MIN_NODE.join('.')}, which the bot needs`,
    'On Termux: pkg upgrade && pkg install nodejs-lts. Elsewhere: install Node.js 20.19 or newer.',
  );
}

export function checkPlatform(platform: string, arch: string): DoctorCheck {
  // termux.md: process.platform is 'android' on Termux, not 'linux'; both are supported.
  if (platform === 'android') return check('platform', 'ok', `Android (Termux), ${arch}`);
  if (platform === 'linux') return check('platform', 'ok', `Linux, ${arch}`);
  return check('platform', 'warn', `${platform}/${arch} is not a platform the bot is tested on (android or linux)`, 'Run the bot in Termux on Android, or on Linux.');
}

export interface TermuxApiOptions {
  readonly onTermux: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** alerts.termux.enabled: notifications are how the owner hears from the bot. */
  readonly notificationsEnabled: boolean;
}

const TERMUX_API_FIX =
  'Install the Termux:API app from the same place as Termux (F-Droid or GitHub; not Google Play), open it once, then: pkg install termux-api';

/**
 * Asks `termux-battery-status` under the hard timeout (termux.md: with the Termux:API app missing or
 * frozen, every termux-api command hangs forever). It has no side effects, unlike a notification.
 */
export async function checkTermuxApi(opts: TermuxApiOptions): Promise<DoctorCheck> {
  if (!opts.onTermux) return check('termux-api', 'skip', 'not on Termux: notifications use the webhook/Telegram channels only');
  const bad: CheckStatus = opts.notificationsEnabled ? 'fail' : 'warn';
  const started = Date.now();
  try {
    const reading = await readBatteryStatus({ env: opts.env, timeoutMs: opts.timeoutMs });
    return check(
      'termux-api',
      'ok',
      `Termux:API answered in ${Date.now() - started} ms (battery ${reading.percentage} %, ${reading.plugged.toLowerCase()}, ${reading.temperatureC.toFixed(0)} °C)`,
    );
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const consequence = opts.notificationsEnabled ? 'phone notifications will not work' : 'battery protection and phone notifications are unavailable';
    return check('termux-api', bad, `${why}; ${consequence}`, TERMUX_API_FIX);
  }
}

/** `~/.termux/boot/pocket-scalper`, written by termux/install.sh. */
export function bootScriptPath(home: string): string {
  return join(home, '.termux', 'boot', 'pocket-scalper');
}

export function checkWakeLock(onTermux: boolean, home: string | undefined): DoctorCheck {
  if (!onTermux) return check('wake-lock', 'skip', 'not on Termux');
  if (home !== undefined && existsSync(bootScriptPath(home))) {
    return check('wake-lock', 'ok', `the boot script ${bootScriptPath(home)} takes the wake lock (termux-wake-lock) before starting the bot`);
  }
  return check(
    'wake-lock',
    'warn',
    'without a wake lock Android suspends the CPU when the screen is off and the bot stops hearing the exchange',
    'Run termux-wake-lock before starting the bot (the pocket-start widget does), or install the boot script: sh termux/install.sh',
  );
}

/** Cannot be read from inside Termux, so it is always a reminder on the phone. */
export function checkBatteryOptimisation(onTermux: boolean): DoctorCheck {
  if (!onTermux) return check('battery-optimisation', 'skip', 'not on Termux');
  return check(
    'battery-optimisation',
    'warn',
    'cannot be checked from inside Termux; with battery optimisation on, Android (and vendor battery savers) stop Termux in the background',
    'Android Settings → Apps → Termux → Battery → Unrestricted (Not optimised); do the same for Termux:API and Termux:Boot.',
  );
}

/** Android API level from `getprop ro.build.version.sdk`, or null when unknown. */
export async function readAndroidSdk(env: NodeJS.ProcessEnv): Promise<number | null> {
  for (const command of ['getprop', '/system/bin/getprop']) {
    const result = await runGuarded(command, ['ro.build.version.sdk'], { env, timeoutMs: 3000 });
    if (result.status === 'ok') {
      const sdk = Number(result.stdout.trim());
      return Number.isInteger(sdk) && sdk > 0 ? sdk : null;
    }
    if (result.status !== 'missing') return null;
  }
  return null;
}

const PHANTOM_ADB = 'adb shell "settings put global settings_enable_monitor_phantom_procs false"';

/**
 * Android 12 (API 31) added the phantom process killer, which kills a background app's child
 * processes (node here). Commands per termux.md; the Android 12 device_config line is the one
 * Termux documents for 12 before the settings flag existed.
 */
export function checkPhantomProcesses(onTermux: boolean, sdk: number | null): DoctorCheck {
  if (!onTermux) return check('phantom-processes', 'skip', 'not on Termux');
  if (sdk !== null && sdk < 31) return check('phantom-processes', 'ok', `Android API ${sdk} has no phantom process killer`);
  const fixes: string[] = [];
  if (sdk === null || sdk === 31) {
    fixes.push(
      'Android 12: from a computer, adb shell "/system/bin/device_config set_sync_disabled_for_tests persistent; /system/bin/device_config put activity_manager max_phantom_processes 2147483647"',
    );
  }
  if (sdk === null || sdk >= 32) fixes.push(`Android 12L/13+: from a computer, ${PHANTOM_ADB}`);
  if (sdk === null || sdk >= 34) fixes.push('Android 14+: or Developer options → "Disable child process restrictions"');
  const which = sdk === null ? 'this Android version could not be read; on Android 12 and later' : `Android API ${sdk}:`;
  return check(
    'phantom-processes',
    'warn',
    `${which} the phantom process killer may kill the bot at any moment (cannot be checked from inside Termux)`,
    fixes.join(' '),
  );
}

export interface ClockCheckInput {
  readonly measurement: ClockMeasurement;
  readonly status: ClockStatus;
}

const NTP_FIX =
  'UDP port 123 may be blocked on this network: try Wi-Fi or mobile data, other servers in clock.ntpServers, or set clock.exchangeFallback to true to trust Bybit\'s time alone.';

function signedMs(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
}

/** NTP reachable, and the drift gate's verdict (ClockService with the config's servers). */
export function clockChecks({ measurement, status }: ClockCheckInput): DoctorCheck[] {
  const answered = measurement.servers.filter((s) => s.ok);
  const ntp =
    answered.length > 0
      ? check('ntp', 'ok', `${answered.length} of ${measurement.servers.length} NTP server(s) answered (${answered.map((s) => s.server).join(', ')})`)
      : check(
          'ntp',
          measurement.source === 'exchange' ? 'warn' : 'fail',
          `no NTP server answered: ${measurement.servers.map((s) => `${s.server}: ${s.error ?? 'no answer'}`).join('; ') || (measurement.error ?? 'none configured')}`,
          NTP_FIX,
        );
  let clock: DoctorCheck;
  if (status.trusted && measurement.offsetMs !== null) {
    const notes = status.warnings.length > 0 ? `; ${status.warnings.join('; ')}` : '';
    clock = check(
      'clock',
      'ok',
      `trusted: offset ${signedMs(measurement.offsetMs)} ±${(measurement.uncertaintyMs ?? 0).toFixed(1)} ms (source ${measurement.source ?? '?'}), corrected before signing${notes}`,
    );
  } else if (answered.length === 0) {
    // The ntp check above already shows each server's error and the fix: say it once.
    clock = check('clock', 'fail', 'not trusted, the bot would refuse to sign: no NTP server answered (see ntp)', 'Fix ntp first.');
  } else {
    clock = check(
      'clock',
      'fail',
      `not trusted, the bot would refuse to sign: ${status.reasons.map((r) => r.message).join('; ')}`,
      'Run node dist/bot.js clock for details; a phone on a slow link may need a larger clock.maxUncertaintyMs.',
    );
  }
  return [ntp, clock];
}

/** Reachability of the exchange, from the clock's own `GET /v5/market/time` cross-check. */
export function exchangeCheck(url: string, measurement: ClockMeasurement): DoctorCheck {
  const e = measurement.exchange;
  if (e === undefined) return check('exchange', 'skip', `${url} was not asked`);
  if (e.ok) return check('exchange', 'ok', `${url} answered GET /v5/market/time in ${(e.rttMs ?? 0).toFixed(0)} ms`);
  return check(
    'exchange',
    'fail',
    `${url} is not reachable: ${e.error ?? 'no answer'}`,
    'Check the internet connection (and exchange.restUrl in config.json if set); Bybit blocks some countries and networks.',
  );
}

function isInside(dir: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(dir));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Places whose contents do not last, or cannot hold private files (shared storage has no POSIX modes). */
function unsafeLocation(dir: string, env: NodeJS.ProcessEnv): { status: CheckStatus; why: string } | null {
  const prefix = env.PREFIX;
  if (prefix && isInside(dir, join(prefix, 'tmp'))) return { status: 'fail', why: `${join(prefix, 'tmp')} is erased every time Termux restarts` };
  for (const shared of ['/sdcard', '/storage', ...(env.HOME ? [join(env.HOME, 'storage')] : [])]) {
    if (isInside(dir, shared)) return { status: 'fail', why: 'shared storage cannot keep files private (no chmod 600) and is readable by other apps' };
  }
  if (isInside(dir, '/tmp')) return { status: 'warn', why: '/tmp is usually emptied at reboot' };
  return null;
}

const MOVE_FIX = 'Set "stateDir" in config.json to a directory under your home directory, e.g. "state" next to config.json.';

/** The state directory exists, is writable (a real file is written and removed), and lasts. */
export function checkStateDir(dir: string, env: NodeJS.ProcessEnv): DoctorCheck {
  const place = unsafeLocation(dir, env);
  if (place?.status === 'fail') return check('state-dir', 'fail', `${dir}: ${place.why}`, MOVE_FIX);
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    return check('state-dir', 'fail', `${dir} does not exist`, `mkdir -p "${dir}" && chmod 700 "${dir}" (termux/install.sh does this)`);
  }
  if (!stat.isDirectory()) return check('state-dir', 'fail', `${dir} is not a directory`, MOVE_FIX);
  const probe = join(dir, `.doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'doctor\n');
    } finally {
      closeSync(fd);
    }
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return check('state-dir', 'fail', `${dir} is not writable (${code})`, `chmod 700 "${dir}" as the user that runs the bot; free some storage if the disk is full`);
  }
  if (place !== null) return check('state-dir', place.status, `${dir} is writable, but ${place.why}`, MOVE_FIX);
  const mode = stat.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return check('state-dir', 'warn', `${dir} is writable but readable by others (mode ${mode.toString(8).padStart(4, '0')})`, `chmod 700 "${dir}"`);
  }
  return check('state-dir', 'ok', `${dir} is writable`);
}

/** The secrets file, when there is one, must be mode 0600 (the bot refuses to start otherwise). */
export function checkSecretsFile(stateDir: string, platform: string, keyFromEnvironment: boolean): DoctorCheck {
  const path = secretsPath(stateDir);
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return check(
      'secrets',
      'skip',
      keyFromEnvironment ? `no ${path}; the API key comes from the environment` : `no ${path} (node dist/bot.js init writes it with mode 0600)`,
    );
  }
  if (platform !== 'win32' && (mode & 0o077) !== 0) {
    return check(
      'secrets',
      'fail',
      `${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); the bot refuses to start with it`,
      `chmod 600 "${path}"`,
    );
  }
  return check('secrets', 'ok', `${path} has mode ${mode.toString(8).padStart(4, '0')}`);
}

/** Bybit REST base URLs per mode (reference/bybit-v5.md section 2); paper mode reads mainnet's public data. */
export const BYBIT_REST_URLS = {
  mainnet: 'https://api.bybit.com',
  testnet: 'https://api-testnet.bybit.com',
  demo: 'https://api-demo.bybit.com',
} as const;

export function exchangeBaseUrl(config: Config): string {
  if (config.exchange.restUrl) return config.exchange.restUrl.replace(/\/+$/, '');
  return config.mode === 'paper' ? BYBIT_REST_URLS.mainnet : BYBIT_REST_URLS[config.mode];
}
