/**
 * `config check`: validates config.json with every layer applied and prints the effective
 * configuration, secrets redacted. What an owner runs after editing config.json on the phone.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { knownOrderMinimum } from '../config/orderMinimums.js';
import { describeSecret, loadSecrets, secretsPath, SecretsError } from '../config/secrets.js';
import type { Config } from '../config/schema.js';
import { redact } from '../util/redact.js';
import type { Command } from './command.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js config check [--config PATH] [--set key.path=value]... [--json]

Validates the configuration (defaults, then config.json, then POCKET_* environment variables,
then --set) and prints the effective result on stdout with every secret redacted; warnings and
problems go to stderr. Exit 0 when valid, 2 with one line per problem when not. The file is
never modified.`;

export const configCommand: Command = {
  name: 'config',
  summary: 'config check: validate config.json and print the effective configuration',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, json: { type: 'boolean' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      io.stderr.write(USAGE + '\n');
      return 0;
    }
    if (positionals[0] !== 'check' || positionals.length > 1) {
      io.stderr.write(`expected "config check"\n\n${USAGE}\n`);
      return 2;
    }
    const path = defaultConfigPath(io, values.config);
    try {
      const loaded = loadConfig({ path, env: io.env, sets: values.set ?? [] });
      const secrets = loadSecrets(loaded.stateDir, io.env);
      const doc = {
        ok: true,
        path: loaded.path,
        stateDir: loaded.stateDir,
        config: redactConfig(loaded.config),
        secrets: {
          source: secrets.source,
          apiKey: describeSecret(secrets.apiKey),
          apiSecret: describeSecret(secrets.apiSecret),
          telegramBotToken: describeSecret(secrets.telegramBotToken),
          file: secretsPath(loaded.stateDir),
        },
        warnings: warnings(loaded.config, secrets.apiKey !== null && secrets.apiSecret !== null),
      };
      if (values.json) io.stdout.write(redact(JSON.stringify(doc, null, 2)) + '\n');
      else {
        // The effective configuration is what the owner asked for: stdout, so `| less` pages it.
        // Warnings go to stderr, where they stay on screen when stdout is piped.
        io.stdout.write(redact(JSON.stringify(doc.config, null, 2)) + '\n');
        io.stdout.write(`secrets: API key ${doc.secrets.apiKey}, secret ${doc.secrets.apiSecret} (from ${secrets.source})\n`);
        for (const w of doc.warnings) io.stderr.write(`warning: ${w}\n`);
        io.stdout.write(`${loaded.path}: valid\n`);
      }
      return 0;
    } catch (e) {
      if (e instanceof ConfigError) {
        if (values.json) io.stdout.write(JSON.stringify({ ok: false, path: e.file, problems: e.problems }, null, 2) + '\n');
        else io.stderr.write(e.message + '\n');
        return 2;
      }
      if (e instanceof SecretsError) {
        if (values.json) io.stdout.write(JSON.stringify({ ok: false, path, problems: [{ path: '(secrets)', message: e.message }] }, null, 2) + '\n');
        else io.stderr.write(e.message + '\n');
        return 2;
      }
      throw e;
    }
  },
};

/** A webhook URL often carries a token in its path or query: keep only the origin. */
export function redactConfig(config: Config): Config {
  const url = config.alerts.webhook.url;
  if (!url) return config;
  let shown = '[redacted]';
  try {
    const u = new URL(url);
    shown = u.pathname === '/' && !u.search ? u.origin : `${u.origin}/[redacted]`;
  } catch {
    // keep '[redacted]'
  }
  return { ...config, alerts: { ...config.alerts, webhook: { url: shown } } };
}

function warnings(config: Config, hasKeys: boolean): string[] {
  const out: string[] = [];
  if (config.mode !== 'paper' && !hasKeys) out.push(`mode "${config.mode}" needs BYBIT_API_KEY and BYBIT_API_SECRET (or run init); run will refuse to start`);
  if (config.mode === 'mainnet') out.push('mode "mainnet" trades real money');
  config.symbols.forEach((s, i) => {
    if (s.strategy !== 'maker') return;
    // Offline, so only the shipped minimums: the bot itself checks Bybit's live rules at start.
    const known = knownOrderMinimum(s.symbol);
    if (known && s.params.orderQty < Number(known.minQty)) {
      const coin = s.symbol.replace(/(USDT|USDC)$/, '');
      out.push(
        `symbols[${i}].params.orderQty is ${s.params.orderQty} ${coin}, below ${s.symbol}'s minimum order of ${known.minQty} ${coin}: the market maker could never quote. Set "params": {"orderQty": ${known.minQty}} or more (minimum from ${known.source})`,
      );
    }
  });
  return out;
}
