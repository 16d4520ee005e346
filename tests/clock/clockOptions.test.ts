/** The clock's options: defaults filled in, and a bad value refused with the option's name. */
import { describe, expect, it } from 'vitest';
import { CLOCK_DEFAULTS, checkClockOptions } from '../../src/clock/clockOptions.js';
import { UsageError } from '../../src/util/errors.js';

describe('checkClockOptions', () => {
  it('fills in the defaults and keeps what was given', () => {
    expect(checkClockOptions({})).toEqual(CLOCK_DEFAULTS);
    expect(checkClockOptions({ ntpServers: ['127.0.0.1:1123'], exchangeUrl: 'https://api.bybit.com' })).toEqual({ ...CLOCK_DEFAULTS, ntpServers: ['127.0.0.1:1123'], exchangeUrl: 'https://api.bybit.com' });
  });

  it('refuses a bad value as a usage error naming the option', () => {
    const refused = (o: Parameters<typeof checkClockOptions>[0]): Error => {
      try {
        checkClockOptions(o);
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    };
    expect(refused({ timeoutMs: 0 })).toBeInstanceOf(UsageError);
    expect(refused({ timeoutMs: 0 }).message).toBe('clock.timeoutMs must be a positive number, got 0');
    expect(refused({ samplesPerServer: 2.5 }).message).toBe('clock.samplesPerServer must be a positive whole number, got 2.5');
    expect(refused({ maxStepMs: Number.NaN }).message).toMatch(/^clock\.maxStepMs/);
    expect(refused({ ntpServers: [] }).message).toBe('clock.ntpServers must list at least one NTP server');
    expect(refused({ exchangeUrl: 'not a url' }).message).toBe('clock.exchangeUrl "not a url" is not a URL');
    expect(refused({ exchangeUrl: 'ws://x' }).message).toBe('clock.exchangeUrl "ws://x" must be an http(s) URL');
  });
});
