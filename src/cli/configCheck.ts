/**
 * `config check`: validates config.json with every layer applied and prints the effective
 * configuration, secrets redacted, then each value that is not the default with the layer that set
 * it (config.json, the override file, an environment variable, a --set). What an owner runs after
 * editing config.json on the phone.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as v from 'valibot';
import { ConfigError, formatPath, loadConfig, type LoadedConfig } from '../config/load.js';
import { leafSets } from '../config/overrideFile.js';
import { knownOrderMinimum } from '../config/orderMinimums.js';
import { describeSecret, loadSecrets, secretsPath, SecretsError } from '../config/secrets.js';
import { configSchema, type Config } from '../config/schema.js';
import { redact } from '../util/redact.js';
import type { Command } from './command.js';
import { defaultConfigPath } from './paths.js';

const USAGE = `Usage: node dist/bot.js config check [--config PATH] [--override FILE] [--set key.path=value]... [--json]

Validates the configuration (defaults, then config.json, then the override file — config.local.json
beside it, or --override FILE — then POCKET_* environment variables, then --set) and prints the
effective result on stdout with every secret redacted, followed by each value that is not the
default and the layer that set it; warnings and problems go to stderr. Exit 0 when valid, 2 with
one line per problem when not. The files are never modified.`;

export const configCommand: Command = {
  name: 'config',
  summary: 'config check: validate config.json and print the effective configuration',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, override: { type: 'string' }, json: { type: 'boolean' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
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
      const loaded = loadConfig({ path, env: io.env, sets: values.set ?? [], ...(values.override !== undefined ? { override: resolve(io.cwd, values.override) } : {}) });
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
        ...(loaded.override?.text != null ? { override: loaded.override.path } : {}),
        setBy: setByLayer(loaded),
      };
      if (values.json) io.stdout.write(redact(JSON.stringify(doc, null, 2)) + '\n');
      else {
        // The effective configuration is what the owner asked for: stdout, so `| less` pages it.
        // Warnings go to stderr, where they stay on screen when stdout is piped.
        io.stdout.write(redact(JSON.stringify(doc.config, null, 2)) + '\n');
        io.stdout.write(
          doc.setBy.length === 0
            ? 'every value is the default\n'
            : `not the default (layer that set it):\n${doc.setBy.map((x) => `  ${x.path} = ${JSON.stringify(x.value)}  (${x.layer})\n`).join('')}`,
        );
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

export interface SetBy {
  readonly path: string;
  readonly value: unknown;
  /** `config.json`, `config.local.json`, `environment variable POCKET_…` or `--set k=v`. */
  readonly layer: string;
}

/**
 * Each effective value that differs from its default, with the last layer that set it. A symbol
 * entry's `symbol` and `strategy` have no default and are always listed.
 */
export function setByLayer(loaded: LoadedConfig): SetBy[] {
  const config = redactConfig(loaded.config);
  const defaults = v.parse(configSchema, { symbols: config.symbols.map((s) => ({ symbol: s.symbol, strategy: s.strategy })) });
  const out: SetBy[] = [];
  for (const leaf of leafSets(config, '')) {
    let layer: string | undefined;
    for (let k = leaf.path.length; k > 0 && layer === undefined; k--) layer = loaded.origins.get(formatPath(leaf.path.slice(0, k)));
    if (layer === undefined) continue;
    const identity = leaf.path.length === 3 && leaf.path[0] === 'symbols' && (leaf.path[2] === 'symbol' || leaf.path[2] === 'strategy');
    if (!identity && JSON.stringify(valueAt(defaults, leaf.path)) === JSON.stringify(leaf.value)) continue;
    out.push({ path: formatPath(leaf.path), value: leaf.value, layer });
  }
  return out;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const seg of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

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
