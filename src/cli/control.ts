/**
 * `pause`, `resume` and `close-all`: reach the running bot through its state directory (see
 * src/state/control.ts), wait for its acknowledgement, and say what happened. They are what the
 * notification buttons and the Termux widgets run, so they need nothing but absolute paths.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { awaitAck, submitControl, type ControlCommand } from '../state/control.js';
import { StateLockedError } from '../state/stateErrors.js';
import { StateStore } from '../state/stateStore.js';
import type { Command, CommandIo } from './command.js';
import { defaultConfigPath } from './paths.js';
import { Prompter } from './prompt.js';

const ACK_TIMEOUT_MS = 5000;

const WHAT: Record<ControlCommand, string> = {
  pause: 'stop new entries; open positions stay managed (stops, targets, exits)',
  resume: 'allow new entries again (lifts pause, kill switch and drawdown locks)',
  'close-all': "cancel the bot's orders, close its positions at market, and pause",
};

function usage(command: ControlCommand): string {
  return `Usage: node dist/bot.js ${command}${command === 'close-all' ? ' [--yes]' : ''} [--state-dir DIR] [--config PATH] [--reason TEXT]

Tells the running bot to ${WHAT[command]}.
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
      const sent = submitControl(stateDir, command, reason);
      if (sent.status === 'no-bot') return offline(command, stateDir, reason, io);
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
async function offline(command: ControlCommand, stateDir: string, reason: string, io: CommandIo): Promise<number> {
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
  try {
    store.update((d) => {
      if (command === 'pause') d.protections.paused = { reason, sinceMs: Date.now(), untilMs: null };
      else {
        d.protections.paused = null;
        d.protections.killSwitch = null;
        d.protections.drawdown = null;
      }
    });
    await store.flush();
  } finally {
    await store.close();
  }
  io.stderr.write(`no bot is running; ${command === 'pause' ? 'it will start paused' : 'it will start with new entries allowed'} (${stateDir}/state.json)\n`);
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
