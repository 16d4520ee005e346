/**
 * `pause`, `resume` and `close-all`: reach the running bot through its state directory (see
 * src/state/control.ts), wait for its acknowledgement, and say what happened. They are what the
 * notification buttons and the Termux widgets run, so they need nothing but absolute paths.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { dec, money } from '../domain/money.js';
import { awaitAck, submitControl, type ControlCommand } from '../state/control.js';
import { StateLockedError } from '../state/stateErrors.js';
import { StateStore } from '../state/stateStore.js';
import kleur from 'kleur';
import { colourEnabled, painted } from '../util/logger.js';
import type { Command, CommandIo } from './command.js';
import { defaultConfigPath } from './paths.js';
import { Prompter } from './prompt.js';

const ACK_TIMEOUT_MS = 5000;

const WHAT: Record<ControlCommand, string> = {
  pause: 'stop new entries; open positions stay managed (stops, targets, exits)',
  resume: 'allow new entries again (lifts the pause; the kill switch and drawdown locks too once the equity is back, or with --reset-peak)',
  'close-all': "cancel the bot's orders, close its positions at market, and pause",
};

function usage(command: ControlCommand): string {
  return `Usage: node dist/bot.js ${command}${command === 'close-all' ? ' [--yes]' : command === 'resume' ? ' [--reset-peak]' : ''} [--state-dir DIR] [--config PATH] [--reason TEXT]

Tells the running bot to ${WHAT[command]}.${command === 'resume' ? `
A kill switch or drawdown lock whose equity is still that far below its peak stays (it would lock
again at once); --reset-peak accepts the loss: the equity now becomes the peak, and both lift.` : ''}
Takes effect within a second; prints the bot's acknowledgement (exit 0), or exit 1 when the bot
does not answer${command === 'close-all' ? '. Asks for confirmation on a terminal unless --yes' : ''}.
${command === 'close-all' ? '' : `When no bot is running, the change is written to the state so the next start honours it.\n`}  --state-dir DIR   the bot's state directory (default: stateDir from the config, else ./state)
  --config PATH     config file to read stateDir from (default ./config.json)
  --reason TEXT     recorded with the request (default: "from the command line")`;
}

function controlCommand(command: ControlCommand): Command {
  return {
    name: command,
    summary: WHAT[command],
    usage: usage(command),
    async run(argv, io) {
      const { values } = parseArgs({
        args: [...argv],
        options: {
          'state-dir': { type: 'string' },
          config: { type: 'string' },
          reason: { type: 'string' },
          yes: { type: 'boolean', short: 'y' },
          'reset-peak': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
      });
      if (values.help) {
        io.stderr.write(usage(command) + '\n');
        return 0;
      }
      if (values.yes && command !== 'close-all') {
        io.stderr.write(`--yes only applies to close-all\n`);
        return 2;
      }
      const resetPeak = values['reset-peak'] ?? false;
      if (resetPeak && command !== 'resume') {
        io.stderr.write(`--reset-peak only applies to resume\n`);
        return 2;
      }
      let stateDir: string;
      try {
        stateDir = resolveStateDir(io, values['state-dir'], values.config);
      } catch (e) {
        if (e instanceof ConfigError) {
          io.stderr.write(e.message + '\n');
          return 2;
        }
        throw e;
      }
      if (command === 'close-all' && !values.yes) {
        if (!io.stdin.isTTY) {
          io.stderr.write('close-all closes every position of the bot at market: add --yes to confirm (no terminal to ask on)\n');
          return 2;
        }
        const p = new Prompter(io.stdin, io.stderr);
        const sure = await p.confirm("Cancel the bot's orders and close all its positions at market now?", false).finally(() => p.close());
        if (!sure) {
          io.stderr.write('Nothing done.\n');
          return 1;
        }
      }
      const reason = values.reason ?? 'from the command line';
      const sent = submitControl(stateDir, command, reason, Date.now(), { resetPeak });
      if (sent.status === 'no-bot') return offline(command, stateDir, reason, io, resetPeak);
      const ack = await awaitAck(stateDir, sent.id, ACK_TIMEOUT_MS);
      if (!ack) {
        io.stderr.write(`the bot (PID ${sent.pid}) did not acknowledge within ${ACK_TIMEOUT_MS / 1000} s; the request stays queued in ${stateDir}/control\n`);
        return 1;
      }
      io.stderr.write(`${ack.ok ? 'done' : 'failed'}: ${ack.message}\n`);
      return ack.ok ? 0 : 1;
    },
  };
}

/** With no bot running, pause and resume go straight into the state file. */
async function offline(command: ControlCommand, stateDir: string, reason: string, io: CommandIo, resetPeak: boolean): Promise<number> {
  if (command === 'close-all') {
    io.stderr.write(`no bot is running for ${stateDir}: start it (it reconciles first), or close the positions on Bybit\n`);
    return 1;
  }
  let store: StateStore;
  try {
    store = await StateStore.open(stateDir);
  } catch (e) {
    if (e instanceof StateLockedError) {
      io.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  let kept: string[] = [];
  try {
    const locks = store.state.protections;
    // Without the bot the equity now is unknown: the equity locks lift only with --reset-peak.
    kept = resetPeak || command === 'pause' ? [] : [...(locks.killSwitch ? ['the kill switch'] : []), ...(locks.drawdown ? ['the drawdown lock'] : [])];
    store.update((d) => {
      if (command === 'pause') d.protections.paused = { reason, sinceMs: Date.now(), untilMs: null };
      else {
        d.protections.paused = null;
        if (resetPeak) {
          d.protections.killSwitch = null;
          d.protections.drawdown = null;
          // The bot's own peak (the drawdown lock's and the kill switch's) becomes what it booked; its open trades are unknown here.
          if (d.botEquity) d.botEquity.peak = money(dec(d.botEquity.startEquity).plus(dec(d.botEquity.realisedPnl)));
        }
      }
    });
    await store.flush();
  } finally {
    await store.close();
  }
  if (kept.length > 0) {
    io.stderr.write(`no bot is running; the pause is lifted, but ${kept.join(' and ')} stay: the equity is measured again when the bot runs. To accept the loss, run \`resume --reset-peak\` (${stateDir}/state.json)\n`);
    return 0;
  }
  if (command === 'pause') {
    // Easy to miss otherwise: nothing was paused now, and the pause waits in the state file (issue 16 item 6).
    const text = `WARNING: no bot is running, so nothing was paused now; the pause is stored and it will start paused, until "node dist/bot.js resume" (${stateDir}/state.json)`;
    io.stderr.write(`${colourEnabled(io.env, io.stderr as { isTTY?: boolean }) ? painted(() => kleur.bold().yellow(text)) : text}\n`);
    return 0;
  }
  io.stderr.write(`no bot is running; it will start with new entries allowed${resetPeak ? ', measuring drawdown from a new peak' : ''} (${stateDir}/state.json)\n`);
  return 0;
}

function resolveStateDir(io: CommandIo, flag: string | undefined, configFlag: string | undefined): string {
  if (flag) return resolve(io.cwd, flag);
  const configPath = defaultConfigPath(io, configFlag);
  if (configFlag !== undefined || existsSync(configPath)) return loadConfig({ path: configPath, env: io.env }).stateDir;
  return resolve(io.cwd, 'state');
}

export const pauseCommand = controlCommand('pause');
export const resumeCommand = controlCommand('resume');
export const closeAllCommand = controlCommand('close-all');
