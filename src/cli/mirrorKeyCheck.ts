/**
 * The mirror account's key (issue 24), checked before its engine starts: present, and accepted by
 * Bybit. The check is signed, so it waits for a trusted clock: a phone clock off by minutes is said
 * to be the reason, not shown as a refused key.
 */
import type { ClockService } from '../clock/clockService.js';
import type { Config } from '../config/schema.js';
import { exchangeBaseUrl } from './doctorChecks.js';
import { readApiKeyChecks } from './doctorKey.js';
import { mirrorKeyFix } from './mirrorKeyFix.js';

export async function mirrorKeyCheck(config: Config, clock: Pick<ClockService, 'ensureTrusted' | 'now'>, key: string | null | undefined, secret: string | null | undefined): Promise<{ key: string; secret: string }> {
  if (!key || !secret) throw new Error('no mirror key: set BYBIT_MIRROR_API_KEY and BYBIT_MIRROR_API_SECRET, or mirrorApiKey and mirrorApiSecret in the secrets file');
  const time = await clock.ensureTrusted();
  if (!time.trusted) throw new Error(`the phone's clock is not trusted (${time.reasons.map((r) => r.message).join('; ')}): the mirror's key is checked once it is`);
  const checks = await readApiKeyChecks({ baseUrl: exchangeBaseUrl(config), mode: config.mode, apiKey: key, apiSecret: secret, recvWindowMs: config.exchange.recvWindowMs, timeoutMs: config.exchange.requestTimeoutMs, timestampMs: clock.now() });
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) throw new Error(`API key refused: ${failed.map((c) => `${c.message}${c.fix ? ` Fix: ${mirrorKeyFix(c.fix)}` : ''}`).join('; ')}`);
  return { key, secret };
}
