/**
 * Command dispatch for `node dist/bot.js`. Commands load lazily (esbuild keeps dynamically imported
 * modules uninitialised until used), so `--help` and small commands start as fast as bare Node.
 */
import type { Command, CommandIo } from './command.js';
import { UsageError } from '../util/errors.js';
import { backtestMemoryFlags, runTierFlags, type V8FlagRule } from '../util/commandV8Flags.js';

declare const POCKET_VERSION: string | undefined;
export const VERSION = typeof POCKET_VERSION === 'string' ? POCKET_VERSION : '0.0.0-dev';

interface Entry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<Command>;
  /**
   * The V8 flags the process sets for this command before it loads (src/util/commandV8Flags.ts):
   * memory for a backtest (`signals` was slower with them), the compiler tiers for `run`
   * (BENCHMARKS.md).
   */
  readonly v8Flags?: V8FlagRule;
}

const COMMANDS: readonly Entry[] = [
  { name: 'run', summary: 'trade per config.json (the default command)', v8Flags: runTierFlags, load: async () => (await import('./run.js')).runCommand },
  { name: 'init', summary: 'first-run wizard: writes config.json and the secrets file', load: async () => (await import('./init.js')).initCommand },
  { name: 'config', summary: 'config check: validate and print the effective configuration', load: async () => (await import('./configCheck.js')).configCommand },
  { name: 'backtest', summary: 'replay candles through the strategies and engine; metrics, JSON and HTML reports', v8Flags: backtestMemoryFlags, load: async () => (await import('./backtest.js')).backtestCommand },
  { name: 'signals', summary: 'per-candle indicator and signal CSV for a candle file', load: async () => (await import('./signals.js')).signalsCommand },
  { name: 'scan', summary: 'rank Bybit USDT perpetuals by turnover, spread and volatility', load: async () => (await import('./scan.js')).scanCommand },
  { name: 'clock', summary: 'measure the clock offset (NTP and Bybit) and whether it is trusted', load: async () => (await import('./clock.js')).clockCommand },
  { name: 'status', summary: 'positions, orders, protections, PnL and statistics', load: async () => (await import('./status.js')).statusCommand },
  { name: 'doctor', summary: 'check the phone, clock, exchange and keys, with fixes', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'pause', summary: 'stop new entries (open positions stay managed)', load: async () => (await import('./control.js')).pauseCommand },
  { name: 'resume', summary: 'allow new entries again', load: async () => (await import('./control.js')).resumeCommand },
  { name: 'close-all', summary: "cancel the bot's orders and close its positions", load: async () => (await import('./control.js')).closeAllCommand },
];

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `pocket-scalper ${VERSION}: a Bybit scalper and market maker for Termux`,
    '',
    'Usage: node dist/bot.js [command] [options]     (no command = run)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'node dist/bot.js COMMAND --help shows the options of a command.',
    'Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.',
  ].join('\n');
}

/** The command `argv` names (`run` when it names none), as `main` reads it. */
function commandOf(argv: readonly string[]): { named: boolean; name: string; entry: Entry | undefined } {
  const first = argv[0];
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : 'run';
  return { named, name, entry: COMMANDS.find((c) => c.name === name) };
}

const isHelp = (first: string | undefined): boolean => first === '--help' || first === '-h' || first === 'help';
const isVersion = (first: string | undefined): boolean => first === '--version' || first === '-v' || first === '-V';

/** The rule for the V8 flags of the command `argv` runs (none for `--help` and `--version`, which run no command). */
export function v8FlagRuleOf(argv: readonly string[]): V8FlagRule | undefined {
  if (isHelp(argv[0]) || isVersion(argv[0])) return undefined;
  return commandOf(argv).entry?.v8Flags;
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const first = argv[0];
  if (isHelp(first)) {
    io.stderr.write(helpText() + '\n');
    return 0;
  }
  if (isVersion(first)) {
    io.stdout.write(VERSION + '\n');
    return 0;
  }
  const { named, name, entry } = commandOf(argv);
  if (!entry) {
    io.stderr.write(`unknown command "${name}"\n\n${helpText()}\n`);
    return 2;
  }
  const command = await entry.load();
  try {
    return await command.run(named ? argv.slice(1) : argv, io);
  } catch (e) {
    // parseArgs throws TypeErrors with a code for unknown or malformed options.
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`${(e as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    throw e;
  }
}
