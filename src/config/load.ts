/**
 * Layered configuration, later wins: built-in defaults (the schema) → config.json → the override
 * file (`config.local.json` beside it, or `--override FILE`; overrideFile.ts) → environment
 * (`POCKET_…`) → `--set key.path=value`. Reading never writes: a bad file is reported and left
 * byte-for-byte as it was. `origins` says which layer set each value.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import * as v from 'valibot';
import { findJsonSyntaxError } from '../util/jsonSyntax.js';
import { defaultOverridePath, leafSets, readOverride, type OverrideSource } from './overrideFile.js';
import { configSchema, type Config } from './schema.js';
import { applySets, parseSetArg, type SetOverride } from './set.js';

export interface ConfigProblem {
  /** JSON path such as `symbols[0].params.rsiLength`, or `(file)` for syntax errors. */
  readonly path: string;
  readonly message: string;
  /** The offending value, as the user wrote it, when there is one. */
  readonly value?: string;
  /** Where the value came from when it was not config.json. */
  readonly source?: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly exitCode = 2;
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(formatProblems(file, problems));
  }
}

export function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const head = `${file}: ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; nothing was changed`;
  const lines = problems.map((p) => {
    const value = p.value !== undefined ? ` (found ${p.value})` : '';
    const from = p.source ? ` [from ${p.source}]` : '';
    return `  - ${p.path}: ${p.message}${value}${from}`;
  });
  return [head, ...lines].join('\n');
}

export interface LoadOptions {
  readonly path: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Raw `--set` arguments, in command-line order. */
  readonly sets?: readonly string[];
  /** `--override FILE`; default: config.local.json beside the config file, when there is one. */
  readonly override?: string;
}

/** What parseConfigText gets: the override file already read (or none). */
export interface ParseOptions extends Omit<LoadOptions, 'path' | 'override'> {
  readonly override?: OverrideSource;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly path: string;
  /** `config.stateDir` resolved against the directory of the config file. */
  readonly stateDir: string;
  /** The file's text as read, for change detection. */
  readonly text: string;
  /** The override file (watched even when absent), or undefined where none applies. */
  readonly override?: OverrideSource;
  /** Config.json with the override file laid over it, before environment and `--set`. */
  readonly raw: Record<string, unknown>;
  /** Which layer set each value a layer set, by path (`symbols[0].params.rsiLength` → `config.local.json`). */
  readonly origins: ReadonlyMap<string, string>;
}

/** Reads and validates a config file; throws ConfigError (exit 2) with one line per problem. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const path = resolve(options.path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [{ path: '(file)', message: code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? String(e)})` }]);
  }
  const overridePath = options.override !== undefined ? resolve(options.override) : defaultOverridePath(path);
  let override: OverrideSource;
  try {
    override = readOverride(overridePath, options.override !== undefined);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(overridePath, [{ path: '(file)', message: code === 'ENOENT' ? 'the override file does not exist' : `cannot be read (${code ?? String(e)})` }]);
  }
  return parseConfigText(text, path, { ...(options.env ? { env: options.env } : {}), ...(options.sets ? { sets: options.sets } : {}), override });
}

/** Parses one layer's JSON text: an object, no secrets; a ConfigError naming `path` otherwise. */
function parseLayer(text: string, path: string): Record<string, unknown> {
  const syntax = findJsonSyntaxError(text);
  if (syntax) throw new ConfigError(path, [{ path: `line ${syntax.line}, column ${syntax.column}`, message: syntax.message }]);
  const raw: unknown = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(path, [{ path: '(top level)', message: 'expected a JSON object { ... }' }]);
  }
  const secretProblems = findSecretKeys(raw, []);
  if (secretProblems.length) throw new ConfigError(path, secretProblems);
  return raw as Record<string, unknown>;
}

export function parseConfigText(text: string, path: string, options: ParseOptions = {}): LoadedConfig {
  const fileRaw = parseLayer(text, path);
  const override = options.override;
  const overrideRaw = override?.text != null ? parseLayer(override.text, override.path) : null;

  const overrides: { o: SetOverride; source: string }[] = [];
  if (overrideRaw && override) for (const o of leafSets(overrideRaw, override.path)) overrides.push({ o, source: override.path });
  const fileLayers = overrides.length;
  for (const [name, o] of envOverrides(options.env ?? {})) overrides.push({ o, source: `environment variable ${name}` });
  for (const arg of options.sets ?? []) overrides.push({ o: parseSetArg(arg), source: `--set ${arg}` });
  const raw = applySets(fileRaw, overrides.slice(0, fileLayers).map((x) => x.o));
  const layered = applySets(raw, overrides.slice(fileLayers).map((x) => x.o));
  const origins = new Map<string, string>();
  for (const o of leafSets(fileRaw, basename(path))) origins.set(formatPath(o.path), basename(path));
  for (const x of overrides) origins.set(formatPath(x.o.path), x.source === override?.path ? basename(x.source) : x.source);

  const result = v.safeParse(configSchema, layered);
  if (!result.success) {
    const problems = result.issues.map((issue) => toProblem(issue, overrides));
    // Problems that all come from the override file are that file's: name it at the top.
    if (override && problems.every((p) => p.source === override.path)) throw new ConfigError(override.path, dedupe(problems.map(({ source: _, ...p }) => p)));
    throw new ConfigError(path, dedupe(problems));
  }
  const config = result.output;
  const stateDir = isAbsolute(config.stateDir) ? config.stateDir : resolve(dirname(path), config.stateDir);
  return { config, path, stateDir, text, ...(override ? { override } : {}), raw, origins };
}

function toProblem(issue: v.BaseIssue<unknown>, overrides: readonly { o: SetOverride; source: string }[]): ConfigProblem {
  const dotPath = issue.path?.map((p) => p.key as string | number) ?? [];
  const pathText = formatPath(dotPath);
  const at = dotPath.join('.');
  // An unknown key holding an object is reported at the key; the layer set a leaf under it.
  const source = (overrides.findLast((x) => x.o.path.join('.') === at) ?? overrides.findLast((x) => x.o.path.join('.').startsWith(at + '.')))?.source;
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    return { path: pathText, message: 'unknown setting (check the spelling; `config check` lists every setting with its default)', ...(source ? { source } : {}) };
  }
  const value = issue.input === undefined ? 'nothing' : JSON.stringify(issue.input);
  return { path: pathText || '(top level)', message: issue.message, value: value.length > 80 ? value.slice(0, 77) + '...' : value, ...(source ? { source } : {}) };
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' || /^\d+$/.test(String(seg)) ? `[${seg}]` : out ? `.${seg}` : String(seg);
  return out;
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const SECRET_KEY = /^(api_?key|api_?secret|secret|apiSecret|apiKey|password|token|botToken|bot_token)$/i;

/** Secrets do not belong in config.json (it is edited on the phone, copied, shared for help). */
function findSecretKeys(node: unknown, path: (string | number)[]): ConfigProblem[] {
  if (typeof node !== 'object' || node === null) return [];
  const out: ConfigProblem[] = [];
  for (const [k, child] of Object.entries(node)) {
    const here = [...path, Array.isArray(node) ? Number(k) : k];
    if (!Array.isArray(node) && SECRET_KEY.test(k)) {
      out.push({
        path: formatPath(here),
        message:
          'secrets do not belong in config.json: set BYBIT_API_KEY / BYBIT_API_SECRET (or TELEGRAM_BOT_TOKEN) in the environment, or run `node dist/bot.js init` to write the secrets file (mode 0600) in the state directory',
      });
    } else out.push(...findSecretKeys(child, here));
  }
  return out;
}

/**
 * `POCKET_<PATH>` variables, `__` between levels, SNAKE_CASE → camelCase:
 * `POCKET_MODE=testnet`, `POCKET_RISK__MAX_DAILY_LOSS_PCT=2`, `POCKET_SYMBOLS__0__LEVERAGE=5`.
 * Values are read like `--set` values (JSON when it parses, else a string).
 */
export function envOverrides(env: NodeJS.ProcessEnv): [string, SetOverride][] {
  const out: [string, SetOverride][] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('POCKET_') || NOT_CONFIG_ENV.has(name)) continue;
    const value = env[name];
    if (value === undefined) continue;
    const path = name
      .slice('POCKET_'.length)
      .split('__')
      .map((seg) => (/^\d+$/.test(seg) ? seg : seg.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())));
    out.push([name, parseSetArg(`${path.join('.')}=${value}`)]);
  }
  return out;
}

/** POCKET_ variables that are not config paths. */
const NOT_CONFIG_ENV = new Set(['POCKET_CONFIG', 'POCKET_ROOT', 'POCKET_TEST_WRITE_FAULT']);
