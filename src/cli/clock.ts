/**
 * `node dist/bot.js clock [--ntp host[:port]]... [--exchange URL] [--json]` (DESIGN section 4, issue 4):
 * measures the machine clock's offset once and reports it. With `--json`, one document on stdout:
 * `{"offsetMs","delayMs","uncertaintyMs","servers":[...],"exchangeOffsetMs"?,"trusted","reasons",...}`.
 * Exit 0 when the clock is trusted, 1 when it could not be measured or is not trusted, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ClockMeasurement } from '../clock/clockMeasurement.js';
import { CLOCK_DEFAULTS, type ClockOptions } from '../clock/clockOptions.js';
import { ClockService, type ClockStatus } from '../clock/clockService.js';
import type { NtpServerResult } from '../clock/ntpClient.js';
import { fetchBybitServerTime } from '../exchange/bybit/serverTime.js';
import { UsageError } from '../util/errors.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Command, CommandIo } from './command.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js clock [--ntp host[:port]]... [--exchange URL] [--json]

Measures how far this machine's clock is off, over NTP, optionally cross-checked against Bybit's
server time (GET URL/v5/market/time), and says whether the bot would trust it for signing.

Options:
  --ntp host[:port]    NTP server to ask (repeatable; default ${CLOCK_DEFAULTS.ntpServers.join(', ')})
  --exchange URL       cross-check against this Bybit base URL, e.g. https://api.bybit.com
  --samples N          requests per NTP server, lowest delay wins (default ${CLOCK_DEFAULTS.samplesPerServer})
  --timeout-ms MS      per-request deadline (default ${CLOCK_DEFAULTS.timeoutMs})
  --config PATH        read the NTP servers and trust limits from this config (default ./config.json
                       when it exists; --ntp overrides its servers)
  --json               one JSON document on stdout instead of text on stderr
  -h, --help           this text

Offsets are "true time minus machine time": +120 ms means the machine clock is 120 ms behind.
Exit status: 0 trusted, 1 not measured or not trusted, 2 usage error.
`;

function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) throw new UsageError(`${flag} expects a positive whole number, got "${text}"`);
  return n;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
}

function serverLine(s: NtpServerResult): string {
  if (!s.ok) return `  ${s.server.padEnd(28)} error: ${s.error ?? 'no answer'}`;
  const flag = s.falseticker === true ? '  (out of agreement, ignored)' : '';
  return (
    `  ${s.server.padEnd(28)} offset ${signed(s.offsetMs ?? 0).padStart(12)}  delay ${(s.delayMs ?? 0).toFixed(1).padStart(7)} ms` +
    `  ±${(s.uncertaintyMs ?? 0).toFixed(1)} ms  stratum ${s.stratum ?? '?'}  ${s.samplesAccepted}/${s.samplesSent} samples${flag}`
  );
}

function humanReport(m: ClockMeasurement, status: ClockStatus): string {
  const lines: string[] = [];
  if (m.ok && m.offsetMs !== null) {
    const direction = m.offsetMs >= 0 ? 'behind' : 'ahead of';
    lines.push(
      `clock offset ${signed(m.offsetMs)} (this machine is ${Math.abs(m.offsetMs).toFixed(1)} ms ${direction} true time), ` +
        `delay ${(m.delayMs ?? 0).toFixed(1)} ms, uncertainty ±${(m.uncertaintyMs ?? 0).toFixed(1)} ms, source ${m.source}`,
    );
  } else {
    // The record's error repeats every server's failure; they are listed one per line below.
    lines.push(`clock not measured: ${m.servers.length > 0 ? 'no NTP server gave a usable reply' : (m.error ?? 'unknown error')}`);
  }
  lines.push('NTP servers:');
  for (const s of m.servers) lines.push(serverLine(s));
  if (m.exchange !== undefined) {
    const e = m.exchange;
    lines.push(
      e.ok
        ? `exchange ${e.url}: offset ${signed(e.offsetMs ?? 0)}, round trip ${(e.rttMs ?? 0).toFixed(1)} ms` +
            (m.disagreementMs !== undefined ? `, differs from NTP by ${m.disagreementMs.toFixed(1)} ms` : '')
        : `exchange ${e.url}: error: ${e.error ?? 'failed'}`,
    );
  }
  for (const w of status.warnings) lines.push(`note: ${w}`);
  lines.push(status.trusted ? 'trusted: the bot would sign with corrected time' : 'NOT trusted: the bot would refuse to sign');
  for (const r of status.reasons) lines.push(`  - ${r.message}`);
  return lines.join('\n') + '\n';
}

/** The clock settings of config.json as ClockService options. */
export function clockOptionsFrom(config: Config): Partial<ClockOptions> {
  const c = config.clock;
  return {
    ntpServers: c.ntpServers,
    samplesPerServer: c.samplesPerServer,
    timeoutMs: c.timeoutMs,
    maxUncertaintyMs: c.maxUncertaintyMs,
    maxDisagreementMs: c.maxDisagreementMs,
    maxAgeMs: c.maxAgeMs,
    maxStepMs: c.maxStepMs,
    exchangeFallback: c.exchangeFallback,
    cron: c.remeasureCron,
  };
}

async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  let options: Partial<ClockOptions>;
  let json: boolean;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ntp: { type: 'string', multiple: true },
        exchange: { type: 'string' },
        samples: { type: 'string' },
        'timeout-ms': { type: 'string' },
        json: { type: 'boolean', default: false },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stderr.write(USAGE);
      return 0;
    }
    json = values.json;
    const samples = wholeNumber('--samples', values.samples);
    const timeoutMs = wholeNumber('--timeout-ms', values['timeout-ms']);
    const configPath = defaultConfigPath(io, values.config);
    const fromConfig = values.config !== undefined || existsSync(configPath) ? clockOptionsFrom(loadConfig({ path: configPath, env: io.env }).config) : {};
    options = {
      ...fromConfig,
      ...(values.ntp !== undefined ? { ntpServers: values.ntp } : {}),
      ...(values.exchange !== undefined ? { exchangeUrl: values.exchange } : {}),
      ...(samples !== undefined ? { samplesPerServer: samples } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    };
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(err.message + '\n');
      return 2;
    }
    io.stderr.write(`clock: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }

  let service: ClockService;
  try {
    service = new ClockService(options, { fetchExchangeTime: fetchBybitServerTime });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`clock: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const measurement = await service.measure();
  const status = service.status();
  if (json) {
    const doc = {
      offsetMs: measurement.offsetMs,
      delayMs: measurement.delayMs,
      uncertaintyMs: measurement.uncertaintyMs,
      source: measurement.source,
      servers: measurement.servers,
      ...(measurement.exchangeOffsetMs !== undefined ? { exchangeOffsetMs: measurement.exchangeOffsetMs } : {}),
      ...(measurement.exchange !== undefined ? { exchange: measurement.exchange } : {}),
      ...(measurement.disagreementMs !== undefined ? { disagreementMs: measurement.disagreementMs } : {}),
      trusted: status.trusted,
      reasons: status.reasons,
      warnings: status.warnings,
      measuredAtMs: measurement.measuredAtMs,
      ...(measurement.error !== undefined ? { error: measurement.error } : {}),
    };
    io.stdout.write(JSON.stringify(doc) + '\n');
  } else {
    io.stderr.write(humanReport(measurement, status));
  }
  return status.trusted ? 0 : 1;
}

export const clockCommand: Command = {
  name: 'clock',
  summary: 'measure the machine clock offset (NTP, optionally cross-checked with Bybit)',
  usage: USAGE,
  run,
};
