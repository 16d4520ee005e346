/**
 * API secrets live in the environment or in `<stateDir>/secrets.json` with mode 0600, never in
 * config.json, logs, notifications, state or errors. Every secret found is registered for redaction.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { registerSecret } from '../util/redact.js';

export const SECRETS_FILE = 'secrets.json';

export interface Secrets {
  readonly apiKey: string | null;
  readonly apiSecret: string | null;
  readonly telegramBotToken: string | null;
  /** The mirror account's key (issue 24): BYBIT_MIRROR_API_KEY / BYBIT_MIRROR_API_SECRET or the file's mirrorApiKey / mirrorApiSecret. */
  readonly mirrorApiKey?: string | null;
  readonly mirrorApiSecret?: string | null;
  /** Where the API key came from, for `config check` and `doctor`. */
  readonly source: 'environment' | 'secrets file' | 'none';
}

export class SecretsError extends Error {
  override name = 'SecretsError';
  readonly exitCode = 2;
}

const fileSchema = v.strictObject({
  apiKey: v.optional(v.nullable(v.string())),
  apiSecret: v.optional(v.nullable(v.string())),
  telegramBotToken: v.optional(v.nullable(v.string())),
  mirrorApiKey: v.optional(v.nullable(v.string())),
  mirrorApiSecret: v.optional(v.nullable(v.string())),
});

export function secretsPath(stateDir: string): string {
  return join(stateDir, SECRETS_FILE);
}

/** Environment wins over the file. Refuses a secrets file that others can read. */
export function loadSecrets(stateDir: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Secrets {
  const path = secretsPath(stateDir);
  let fromFile: v.InferOutput<typeof fileSchema> = {};
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    // Windows has no POSIX modes; everywhere else (Linux, Android) the check applies.
    if (platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new SecretsError(
        `${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); refusing to start. Fix it with: chmod 600 "${path}"`,
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      throw new SecretsError(`${path} is not valid JSON; expected {"apiKey": "...", "apiSecret": "..."}`);
    }
    const parsed = v.safeParse(fileSchema, raw);
    if (!parsed.success) throw new SecretsError(`${path}: expected {"apiKey": "...", "apiSecret": "...", "telegramBotToken": "..."} (strings; "mirrorApiKey" and "mirrorApiSecret" for a mirror account)`);
    fromFile = parsed.output;
  }
  const envKey = env.BYBIT_API_KEY || null;
  const envSecret = env.BYBIT_API_SECRET || null;
  const apiKey = envKey ?? fromFile.apiKey ?? null;
  const apiSecret = envSecret ?? fromFile.apiSecret ?? null;
  const telegramBotToken = env.TELEGRAM_BOT_TOKEN || fromFile.telegramBotToken || null;
  // The mirror's pair comes whole from one place, like the main one: the environment wins.
  const envMirror = env.BYBIT_MIRROR_API_KEY || null;
  const mirrorApiKey = envMirror ?? fromFile.mirrorApiKey ?? null;
  const mirrorApiSecret = envMirror ? env.BYBIT_MIRROR_API_SECRET || null : fromFile.mirrorApiSecret ?? null;
  for (const s of [apiKey, apiSecret, telegramBotToken, mirrorApiKey, mirrorApiSecret]) registerSecret(s);
  const source = envKey ? 'environment' : fromFile.apiKey ? 'secrets file' : 'none';
  return { apiKey, apiSecret, telegramBotToken, mirrorApiKey, mirrorApiSecret, source };
}

/** Writes the secrets file atomically with mode 0600 (the wizard). */
export function writeSecrets(stateDir: string, secrets: { apiKey?: string | null; apiSecret?: string | null; telegramBotToken?: string | null }): string {
  mkdirSync(stateDir, { recursive: true });
  const path = secretsPath(stateDir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  return path;
}

/** What `config check` prints instead of a secret. */
export function describeSecret(value: string | null): string {
  return value ? `[redacted, ${value.length} characters]` : '(not set)';
}
