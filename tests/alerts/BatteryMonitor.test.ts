import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertInput } from '../../src/alerts/Alert.js';
import { AlertConfigError } from '../../src/alerts/AlertConfigError.js';
import { BatteryMonitor, BatteryStatusError, isTermux, parseBatteryStatus, readBatteryStatus, type MonitorTimers } from '../../src/alerts/BatteryMonitor.js';
import { decideBattery, type BatteryCondition, type BatteryReading } from '../../src/alerts/decideBattery.js';
import { makeFakeTermux, processAlive, type FakeTermux } from './fakeTermux.js';

const policy = { minPercent: 20, maxTemperatureC: 45 }; // resume at 25 % and 42 °C by default
const reading = (percentage: number, plugged = 'UNPLUGGED', temperatureC = 30): BatteryReading => ({ percentage, plugged, temperatureC, status: 'DISCHARGING' });

describe('decideBattery (pure)', () => {
  it('pauses below minPercent only while unplugged, and resumes with hysteresis', () => {
    let conditions: readonly BatteryCondition[] = [];
    const step = (r: BatteryReading): string => {
      const d = decideBattery(r, conditions, policy);
      conditions = d.conditions;
      return d.action;
    };
    expect(step(reading(21))).toBe('none');
    expect(step(reading(19, 'PLUGGED_USB')), 'charging: no pause').toBe('none');
    expect(step(reading(19))).toBe('pause');
    expect(step(reading(22)), 'above min but below resume: stay paused, no flapping').toBe('none');
    expect(conditions).toEqual(['lowBattery']);
    expect(step(reading(25))).toBe('resume');
    expect(step(reading(19))).toBe('pause');
    expect(step(reading(19, 'PLUGGED_AC')), 'plugging in clears it at once').toBe('resume');
  });

  it('pauses above maxTemperatureC and resumes at the lower threshold', () => {
    const hot = decideBattery(reading(80, 'PLUGGED_AC', 46.5), [], policy);
    expect(hot).toEqual({ action: 'pause', paused: true, conditions: ['hot'], reason: 'battery at 46.5 °C (pause above 45 °C, resume at 42 °C)' });
    expect(decideBattery(reading(80, 'PLUGGED_AC', 43), ['hot'], policy).action).toBe('none');
    expect(decideBattery(reading(80, 'PLUGGED_AC', 42), ['hot'], policy)).toMatchObject({ action: 'resume', paused: false });
    expect(decideBattery(reading(80, 'PLUGGED_AC', 45), [], policy).action, 'at the limit is not above it').toBe('none');
  });

  it('stays paused while either condition holds, and names both', () => {
    const both = decideBattery(reading(10, 'UNPLUGGED', 50), [], policy);
    expect(both.conditions).toEqual(['lowBattery', 'hot']);
    expect(both.reason).toBe('battery 10% and unplugged (pause below 20%, resume at 25% or when plugged in); battery at 50 °C (pause above 45 °C, resume at 42 °C)');
    expect(decideBattery(reading(10, 'PLUGGED_AC', 50), both.conditions, policy)).toMatchObject({ action: 'none', paused: true, conditions: ['hot'] });
  });

  it('rejects an inconsistent policy', () => {
    expect(() => decideBattery(reading(50), [], { minPercent: 30, resumePercent: 20, maxTemperatureC: 45 })).toThrow(AlertConfigError);
    expect(() => decideBattery(reading(50), [], { minPercent: 120, maxTemperatureC: 45 })).toThrow(/minPercent must be 0–100/);
  });
});

describe('parseBatteryStatus', () => {
  it('reads the termux-battery-status JSON', () => {
    // Shape printed by termux-api BatteryStatus (fields per termux.md).
    const text = '{"health":"GOOD","percentage":54,"plugged":"UNPLUGGED","status":"DISCHARGING","temperature":31.2,"current":-412000}';
    expect(parseBatteryStatus(text)).toEqual({ percentage: 54, plugged: 'UNPLUGGED', temperatureC: 31.2, status: 'DISCHARGING' });
  });

  it('names what is wrong', () => {
    expect(() => parseBatteryStatus('oops')).toThrow(/not JSON/);
    expect(() => parseBatteryStatus('{"percentage":"54","plugged":"UNPLUGGED","temperature":30}')).toThrow(/"percentage" should be a number/);
    expect(() => parseBatteryStatus('{"percentage":54,"plugged":"UNPLUGGED"}')).toThrow(BatteryStatusError);
  });
});

describe('readBatteryStatus through the real subprocess boundary', () => {
  let fake: FakeTermux;
  beforeEach(() => {
    fake = makeFakeTermux('ps-battery-');
  });
  afterEach(() => fake.cleanup());

  it('runs termux-battery-status from PATH and parses it', async () => {
    fake.record('termux-battery-status', { stdout: '{"percentage":17,"plugged":"UNPLUGGED","status":"DISCHARGING","temperature":36.5}' });
    expect(await readBatteryStatus({ env: fake.env })).toEqual({ percentage: 17, plugged: 'UNPLUGGED', temperatureC: 36.5, status: 'DISCHARGING' });
    expect(fake.calls('termux-battery-status')).toEqual([[]]);
  });

  it('kills a hung termux-battery-status at the timeout', async () => {
    fake.hang('termux-battery-status');
    await expect(readBatteryStatus({ env: fake.env, timeoutMs: 300 })).rejects.toThrow(/no answer within 300 ms/);
    await expect.poll(() => fake.hungPids('termux-battery-status').filter(processAlive), { timeout: 2000 }).toEqual([]);
  });
});

/** Timers the test fires by hand. */
function manualTimers(): MonitorTimers & { pending: { ms: number; fire: () => void }[] } {
  const pending: { ms: number; fire: () => void; id: number }[] = [];
  let next = 0;
  return {
    pending,
    setTimeout: (fire, ms) => {
      const id = ++next;
      pending.push({ ms, fire, id });
      return id;
    },
    clearTimeout: (id) => {
      const i = pending.findIndex((p) => p.id === id);
      if (i >= 0) pending.splice(i, 1);
    },
  };
}

describe('BatteryMonitor', () => {
  it('pauses and resumes new entries, alerting the owner each time', async () => {
    const readings = [reading(50), reading(15), reading(22), reading(30)];
    const alerts: AlertInput[] = [];
    const changes: string[] = [];
    const timers = manualTimers();
    const monitor = new BatteryMonitor({
      policy,
      intervalMs: 60_000,
      timers,
      read: async () => readings.shift() ?? reading(30),
      alert: (a) => void alerts.push(a),
      onChange: (d) => changes.push(d.action),
    });
    monitor.start();
    await expect.poll(() => timers.pending.length).toBe(1);
    expect(monitor.paused).toBe(false);
    for (let i = 0; i < 3; i++) {
      const t = timers.pending.shift();
      expect(t?.ms).toBe(60_000);
      t?.fire();
      await expect.poll(() => timers.pending.length).toBe(1);
      if (i === 0) expect(monitor.paused).toBe(true);
    }
    expect(changes).toEqual(['pause', 'resume']);
    expect(alerts).toEqual([
      { level: 'warning', kind: 'battery', title: 'New entries paused: battery', body: 'battery 15% and unplugged (pause below 20%, resume at 25% or when plugged in). Open positions keep their exchange stops.' },
      { level: 'info', kind: 'battery', title: 'New entries resumed: battery ok', body: 'battery 30%, 30 °C: ok' },
    ]);
    monitor.stop();
    expect(timers.pending).toEqual([]);
  });

  it('keeps its decision when a read fails, warns once, and backs off', async () => {
    const alerts: AlertInput[] = [];
    const timers = manualTimers();
    let fail = true;
    const monitor = new BatteryMonitor({
      policy,
      intervalMs: 60_000,
      timers,
      read: async () => {
        if (fail) throw new BatteryStatusError('termux-battery-status: no answer within 8000 ms');
        return reading(50);
      },
      alert: (a) => void alerts.push(a),
    });
    monitor.start();
    await expect.poll(() => timers.pending.length).toBe(1);
    const delays = [timers.pending[0]?.ms];
    for (let i = 0; i < 2; i++) {
      timers.pending.shift()?.fire();
      await expect.poll(() => timers.pending.length).toBe(1);
      delays.push(timers.pending[0]?.ms);
    }
    expect(delays, 'exponential backoff from the interval').toEqual([60_000, 120_000, 240_000]);
    expect(alerts.map((a) => a.title)).toEqual(['Battery status unavailable']);
    fail = false;
    timers.pending.shift()?.fire();
    await expect.poll(() => timers.pending[0]?.ms).toBe(60_000);
    monitor.stop();
  });

  it('detects Termux', () => {
    expect(isTermux({}, 'android')).toBe(true);
    expect(isTermux({ PREFIX: '/data/data/com.termux/files/usr' }, 'linux')).toBe(true);
    expect(isTermux({}, 'linux')).toBe(false);
  });
});
