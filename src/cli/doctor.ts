/**
 * `node dist/bot.js doctor [--json] [--config PATH] [--state-dir DIR]` (issue 10 item 4; DESIGN
 * section 4): checks the phone, the clock, the exchange and the API key, and explains each problem
 * with a fix. Every check is `{id, status: ok|warn|fail|skip, message, fix}`; the checks are in
 * doctorChecks.ts and doctorKey.ts.
 *
 * Human text goes to stderr, wrapped for a ~50-column phone terminal; `--json` prints one document
 * on stdout. Exit 0 when no check failed, 1 when one did, 2 on a usage or configuration error (the
 * checks that need no configuration still run and are reported). Secrets are never printed: every
 * line passes through `redact`, and the key's secret is only ever an HMAC input.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import kleur from 'kleur';
import { isTermux } from '../alerts/BatteryMonitor.js';
import { ClockService } from '../clock/clockService.js';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/load.js';
import { loadSecrets, type Secrets } from '../config/secrets.js';
import { fetchBybitServerTime } from '../exchange/bybit/serverTime.js';
import { colourEnabled } from '../util/logger.js';
import { redact } from '../util/redact.js';
import { clockOptionsFrom } from './clock.js';
import type { Command, CommandIo } from './command.js';
import {
  check,
  checkBatteryOptimisation,
  checkNodeVersion,
  checkPhantomProcesses,
  checkPlatform,
  checkSecretsFile,
  checkStateDir,
  checkTermuxApi,
  checkWakeLock,
  clockChecks,
  exchangeBaseUrl,
  exchangeCheck,
  readAndroidSdk,
  CHECK_STATUSES,
  type CheckStatus,
  type DoctorCheck,
} from './doctorChecks.js';
import { ACCOUNT_CHECK_IDS, accountModeChecks } from './doctorAccount.js';
import { apiKeyChecks, KEY_CHECK_IDS } from './doctorKey.js';
import { checkFreeSpace } from './doctorSpace.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js doctor [--json] [--config PATH] [--state-dir DIR]

Checks what the bot needs on this phone and says how to fix
each problem: Node.js, Termux:API, wake lock, battery and
phantom-process settings, NTP and clock trust, the exchange,
the API key's permissions (a key that can withdraw is
refused), the state directory and the secrets file.

Options:
  --config PATH    config file (default ./config.json, or
                   $POCKET_CONFIG)
  --state-dir DIR  state directory (default: from the config)
  --json           one JSON document on stdout
  -h, --help       this text

Exit status: 0 nothing failed (warnings allowed), 1 a check
failed, 2 usage or configuration error.
`;

/** Phone terminals in portrait are about this wide. */
const WIDTH = 50;

export interface DoctorDeps {
  /** Default `process.platform` ('android' on Termux). */
  readonly platform?: NodeJS.Platform;
  readonly arch?: string;
  /** Default `process.version`. */
  readonly nodeVersion?: string;
}

export interface DoctorReport {
  /** True when no check failed. */
  readonly ok: boolean;
  readonly exitCode: 0 | 1 | 2;
  readonly config: string;
  readonly mode: string | null;
  readonly stateDir: string | null;
  readonly checks: readonly DoctorCheck[];
  readonly counts: Readonly<Record<CheckStatus, number>>;
}

interface DoctorOptions {
  readonly configFlag: string | undefined;
  readonly stateDirFlag: string | undefined;
}

/** Runs every check; never throws for a problem it can explain. */
export async function runDoctor(options: DoctorOptions, io: CommandIo, deps: DoctorDeps = {}): Promise<DoctorReport> {
  const platform = deps.platform ?? process.platform;
  const env = io.env;
  const onTermux = isTermux(env, platform);
  const checks: DoctorCheck[] = [checkNodeVersion(deps.nodeVersion ?? process.version), checkPlatform(platform, deps.arch ?? process.arch)];

  const configPath = defaultConfigPath(io, options.configFlag);
  let loaded: LoadedConfig | null = null;
  try {
    loaded = loadConfig({ path: configPath, env });
    const c = loaded.config;
    checks.push(check('config', 'ok', `${configPath} is valid: mode ${c.mode}, ${c.symbols.length} symbol(s)`));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const missing = err.problems.length === 1 && err.problems[0]?.message === 'the file does not exist';
    checks.push(
      check(
        'config',
        'fail',
        missing ? `${configPath} does not exist` : err.message,
        missing ? 'Run node dist/bot.js init (it asks a few questions and writes config.json).' : 'Edit config.json as listed, then run node dist/bot.js config check.',
      ),
    );
  }
  const config = loaded?.config ?? null;

  const termuxTimeoutMs = config?.alerts.termux.timeoutMs ?? 8000;
  const baseUrl = config !== null ? exchangeBaseUrl(config) : null;
  let clock: ClockService | null = null;
  let clockProblem: string | null = null;
  if (config !== null && baseUrl !== null) {
    try {
      clock = new ClockService({ ...clockOptionsFrom(config), exchangeUrl: baseUrl }, { fetchExchangeTime: fetchBybitServerTime });
    } catch (err) {
      clockProblem = err instanceof Error ? err.message : String(err);
    }
  }
  // The slow parts (Termux:API, getprop, NTP and the exchange) run side by side.
  const [termuxApi, sdk, measurement] = await Promise.all([
    checkTermuxApi({ onTermux, env, timeoutMs: termuxTimeoutMs, notificationsEnabled: config?.alerts.termux.enabled ?? true }),
    onTermux ? readAndroidSdk(env) : Promise.resolve(null),
    clock !== null ? clock.measure() : Promise.resolve(null),
  ]);
  checks.push(termuxApi, checkWakeLock(onTermux, env.HOME), checkBatteryOptimisation(onTermux), checkPhantomProcesses(onTermux, sdk));

  const needsConfig = (ids: readonly string[]): void => {
    for (const id of ids) checks.push(check(id, 'skip', 'needs a valid config file'));
  };
  if (clock !== null && measurement !== null && baseUrl !== null) {
    const status = clock.status();
    checks.push(...clockChecks({ measurement, status }), exchangeCheck(baseUrl, measurement));
  } else if (clockProblem !== null) {
    checks.push(check('ntp', 'skip', 'the clock settings were refused'), check('clock', 'fail', clockProblem, 'Fix the clock section of config.json.'), check('exchange', 'skip', 'not asked'));
  } else {
    needsConfig(['ntp', 'clock', 'exchange']);
  }

  let stateDir: string | null = null;
  if (loaded !== null && config !== null && baseUrl !== null) {
    stateDir = options.stateDirFlag ? resolve(io.cwd, options.stateDirFlag) : loaded.stateDir;
    checks.push(checkStateDir(stateDir, env), await checkFreeSpace(stateDir));
    let secrets: Secrets | null = null;
    let secretsProblem: string | null = null;
    try {
      secrets = loadSecrets(stateDir, env, platform);
    } catch (err) {
      secretsProblem = err instanceof Error ? err.message : String(err);
    }
    const fileCheck = checkSecretsFile(stateDir, platform, Boolean(env.BYBIT_API_KEY));
    checks.push(secretsProblem !== null && fileCheck.status !== 'fail' ? check('secrets', 'fail', secretsProblem, 'Run node dist/bot.js init to write it again.') : fileCheck);

    const skipKeys = (why: string): void => {
      for (const id of [...KEY_CHECK_IDS, ...ACCOUNT_CHECK_IDS]) checks.push(check(id, 'skip', why));
    };
    if (config.mode === 'paper') {
      skipKeys('paper mode trades a simulated account; no API key is used');
    } else if (secrets === null) {
      skipKeys('the secrets file was refused (see the secrets check)');
    } else if (!secrets.apiKey || !secrets.apiSecret) {
      checks.push(
        check(
          'api-key',
          'fail',
          `mode ${config.mode} needs an API key and secret; none was found`,
          `Run node dist/bot.js init, or set BYBIT_API_KEY and BYBIT_API_SECRET.`,
        ),
      );
      for (const id of [...KEY_CHECK_IDS.slice(1), ...ACCOUNT_CHECK_IDS]) checks.push(check(id, 'skip', 'no API key'));
    } else {
      // Signed with corrected time when the clock is trusted (DESIGN section 1), else the machine's.
      const timestampMs = clock?.isTrusted() === true ? clock.now() : Date.now();
      const signed = { apiKey: secrets.apiKey, apiSecret: secrets.apiSecret, timestampMs, recvWindowMs: config.exchange.recvWindowMs, timeoutMs: config.exchange.requestTimeoutMs };
      const keyChecks = await apiKeyChecks({ baseUrl, mode: config.mode, ...signed });
      checks.push(...keyChecks);
      if (keyChecks[0]?.status === 'ok') checks.push(...(await accountModeChecks({ baseUrl, symbols: config.symbols.filter((s) => s.enabled).map((s) => s.symbol), ...signed })));
      else for (const id of ACCOUNT_CHECK_IDS) checks.push(check(id, 'skip', 'the key could not be used'));
    }
  } else {
    needsConfig(['state-dir', 'free-space', 'secrets', ...KEY_CHECK_IDS, ...ACCOUNT_CHECK_IDS]);
  }

  const safe = checks.map((c) => ({ id: c.id, status: c.status, message: redact(c.message), fix: c.fix === null ? null : redact(c.fix) }));
  const counts = Object.fromEntries(CHECK_STATUSES.map((s) => [s, safe.filter((c) => c.status === s).length])) as Record<CheckStatus, number>;
  const exitCode = loaded === null ? 2 : counts.fail > 0 ? 1 : 0;
  return { ok: counts.fail === 0, exitCode, config: configPath, mode: config?.mode ?? null, stateDir, checks: safe, counts };
}

/** Greedy word wrap; a word longer than the line (a path, a command) keeps a line of its own. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line === '') line = word;
      else if (line.length + 1 + word.length <= width) line += ' ' + word;
      else {
        lines.push(line);
        line = word;
      }
    }
    lines.push(line);
  }
  return lines;
}

const TAGS: Readonly<Record<CheckStatus, string>> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderHuman(report: DoctorReport, colour: boolean): string {
  const paintTag = (status: CheckStatus): string => {
    const tag = TAGS[status];
    if (!colour) return tag;
    const was = kleur.enabled;
    kleur.enabled = true;
    try {
      return status === 'ok' ? kleur.green(tag) : status === 'warn' ? kleur.yellow(tag) : status === 'fail' ? kleur.red().bold(tag) : kleur.gray(tag);
    } finally {
      kleur.enabled = was;
    }
  };
  const indent = '     ';
  const out: string[] = [`pocket-scalper doctor${report.mode ? ` (${report.mode})` : ''}`, ''];
  for (const c of report.checks) {
    out.push(`${paintTag(c.status)} ${c.id}`);
    for (const line of wrap(c.message, WIDTH - indent.length)) out.push(indent + line);
    if (c.fix !== null && c.status !== 'ok' && c.status !== 'skip') {
      const [first = '', ...rest] = wrap(`fix: ${c.fix}`, WIDTH - indent.length);
      out.push(indent + first, ...rest.map((l) => indent + l));
    }
  }
  const { ok, warn, fail, skip } = report.counts;
  out.push('', `${ok} ok, ${warn} warning(s), ${fail} failed, ${skip} skipped`);
  out.push(
    report.exitCode === 2
      ? 'The configuration needs fixing first (see config).'
      : fail > 0
        ? 'Fix the FAIL items before trading.'
        : warn > 0
          ? 'Ready; the warnings are worth a look.'
          : 'Ready.',
  );
  return out.join('\n') + '\n';
}

export function createDoctorCommand(deps: DoctorDeps = {}): Command {
  return {
    name: 'doctor',
    summary: 'check the phone, clock, exchange and keys, with fixes',
    usage: USAGE,
    async run(argv: readonly string[], io: CommandIo): Promise<number> {
      let values: { json?: boolean; config?: string; 'state-dir'?: string; help?: boolean };
      try {
        ({ values } = parseArgs({
          args: [...argv],
          options: {
            json: { type: 'boolean' },
            config: { type: 'string' },
            'state-dir': { type: 'string' },
            help: { type: 'boolean', short: 'h' },
          },
          strict: true,
          allowPositionals: false,
        }));
      } catch (err) {
        io.stderr.write(`doctor: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
        return 2;
      }
      if (values.help) {
        io.stderr.write(USAGE);
        return 0;
      }
      const report = await runDoctor({ configFlag: values.config, stateDirFlag: values['state-dir'] }, io, deps);
      if (values.json) io.stdout.write(JSON.stringify(report) + '\n');
      else io.stderr.write(renderHuman(report, colourEnabled(io.env, io.stderr as { isTTY?: boolean })));
      return report.exitCode;
    },
  };
}

export const doctorCommand: Command = createDoctorCommand();
