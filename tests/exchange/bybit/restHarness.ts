/**
 * Test helper: a RestPipeline (src/exchange/bybit/restPipeline.ts) with the real ccxt class against
 * the loopback Bybit of ./fakeBybitRest.ts, with recorded waits and log lines.
 */
import { bybitUrls } from '../../../src/exchange/bybit/bybitUrls.js';
import { DEFAULT_RETRY, RestPipeline, type RestCounters } from '../../../src/exchange/bybit/restPipeline.js';
import { fixedSigningClock, type SigningClock } from '../../../src/exchange/bybit/signingClock.js';
import { recordingLogger, type RecordingLogger } from '../../badInput/recordingLogger.js';
import { KEY, SECRET, type FakeBybitRest } from './fakeBybitRest.js';

export interface RestHarness {
  readonly rest: RestPipeline;
  readonly counters: RestCounters;
  readonly waits: number[];
  readonly log: RecordingLogger;
}

export function restHarness(server: FakeBybitRest, clock: SigningClock = fixedSigningClock()): RestHarness {
  const counters: RestCounters = { requests: 0, retries: 0, clockRemeasures: 0, rateLimited: 0, duplicatesResolved: 0 };
  const waits: number[] = [];
  const log = recordingLogger();
  const rest = new RestPipeline({
    urls: bybitUrls('mainnet', { restUrl: server.url }),
    credentials: { apiKey: KEY, apiSecret: SECRET },
    clock,
    retry: { ...DEFAULT_RETRY, baseMs: 1, maxMs: 4, minMs: 0 },
    logger: log,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
    },
    counters,
  });
  return { rest, counters, waits, log };
}
