/**
 * What the owner sees of their own actions on a running bot: `pause` / `resume` leave a trace in
 * the bot's terminal and bot.log; a pause made while no bot runs is announced at the next start;
 * saving config.json with `mode: mainnet` is a warning and a critical notification, and saving
 * the original back clears the "restart needed" list. The real bundle, `run --replay`, a recording
 * termux-notification first on PATH.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBot } from '../helpers/cli.js';
import { replayBots } from '../helpers/replayBots.js';

const replayBot = replayBots();

const CONFIG = JSON.stringify({ mode: 'paper', symbols: [{ symbol: 'BTCUSDT', strategy: 'scalper' }] }, null, 2);

describe('control commands and config edits on a running bot', () => {
  it('logs each control command and what it did; a pause made with no bot running is announced at the next start', async () => {
    const bot = replayBot({ name: 'control', config: CONFIG });
    const { dir, env } = bot;
    bot.start(300);
    await bot.until('the bot running', () => /running mode=replay/.test(bot.output()));

    const paused = await runBot(['pause'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(paused.code).toBe(0);
    expect(paused.stderr).toMatch(/done: paused/);
    await bot.until('the pause in the log', () => /control: paused: no new entries/.test(bot.output()), 10_000);
    expect(bot.output()).toMatch(/control: "pause" received reason=/);
    const resumed = await runBot(['resume'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(resumed.code).toBe(0);
    await bot.until('the resume in the log', () => /control: resumed: new entries allowed again/.test(bot.output()), 10_000);
    expect(await bot.stop()).toBe(0);
    const log = readFileSync(join(dir, 'state', 'bot.log'), 'utf8');
    expect(log).toMatch(/control: "pause" received/);
    expect(log).toMatch(/control: resumed: new entries allowed again/);

    // No bot running: the pause goes into the state, and the next start says so.
    const offline = await runBot(['pause'], { cwd: dir, env: { PATH: env.PATH! } });
    expect(offline.code).toBe(0);
    expect(offline.stderr).toMatch(/^WARNING: no bot is running, so nothing was paused now; the pause is stored and it will start paused/m);
    bot.start(300);
    await bot.until('the bot running', () => /running mode=replay/.test(bot.output()));
    expect(bot.output()).toMatch(/WARN {2}paused since 20\d\d-\d\d-\d\dT[\d:.]+Z, by the pause command \(.+\): no new entries until "node dist\/bot\.js resume"/);
    expect(await bot.stop()).toBe(0);
  }, 120_000);

  it('a save that moves to mainnet at the next restart is a warning and a critical notification; saving the original back clears the restart list', async () => {
    const bot = replayBot({ name: 'reload', config: CONFIG });
    const { dir, termux } = bot;
    bot.start(300);
    await bot.until('the bot running', () => /running mode=replay/.test(bot.output()));

    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...JSON.parse(CONFIG), mode: 'mainnet', confirmMainnet: true }, null, 2));
    await bot.until('the mainnet warning', () => /WARN {2}config\.json now says mode "mainnet": the next restart trades REAL MONEY/.test(bot.output()), 15_000);
    expect(bot.output()).toMatch(/WARN {2}config\.json reloaded; applied except what needs a restart: mode, confirmMainnet/);
    await bot.until('the notification', () => termux.calls('termux-notification').some((a) => a.includes('Next restart trades real money')), 10_000);
    const note = termux.calls('termux-notification').find((a) => a.includes('Next restart trades real money'))!;
    expect(note.slice(note.indexOf('--priority'), note.indexOf('--priority') + 2)).toEqual(['--priority', 'max']);

    writeFileSync(join(dir, 'config.json'), CONFIG);
    await bot.until('the original applied', () => /INFO {2}config\.json reloaded and applied/.test(bot.output()), 15_000);
    expect(bot.output()).not.toMatch(/restartRequired/);
    expect(await bot.stop()).toBe(0);
  }, 120_000);

  it('an entry lock is reported once when it starts and once when it ends; the signals it refuses stay off the terminal', async () => {
    const bot = replayBot({ name: 'lock', config: { ...JSON.parse(CONFIG), risk: { lossStreak: { losses: 1, cooldownMinutes: 30 } } } });
    bot.start(900);
    await bot.until('a lock that started and ended', () => /entries allowed again: the loss streak lock has ended/.test(bot.output()), 90_000);
    const started = bot.output().match(/WARN {2}entries stopped \(loss streak\): 1 losing trades in a row; pausing entries for 30 minutes/g) ?? [];
    const ended = bot.output().match(/entries allowed again: the loss streak lock has ended/g) ?? [];
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(ended.length, 'each start has its end, and no more').toBeLessThanOrEqual(started.length);
    expect(bot.output().indexOf(started[0]!)).toBeLessThan(bot.output().indexOf(ended[0]!));
    expect(bot.output()).not.toMatch(/signal not traded/);
    expect(await bot.stop()).toBe(0);
  }, 120_000);
});
