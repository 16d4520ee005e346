/**
 * Entry of `dist/sandbox.js` (DESIGN section 4): the Bybit V5 sandbox as a program.
 *
 *   node dist/sandbox.js --port P [--ws-port Q] --data FILE.csv[,FILE.csv] [--clock-offset-ms X]
 *                        [--speed N] [--ntp-port R] [--faults SPEC] [--api-key K --api-secret S]
 *                        [--account KEY:SECRET[:BALANCE]]...
 *
 * Prints the URLs it listens on (stdout), runs until SIGINT/SIGTERM. Exit 2 on a usage error.
 */
import { parseArgs } from 'node:util';
import { FaultSpecError, parseFaultSpec } from './sandbox/faults.js';
import { DEFAULT_API_KEY, DEFAULT_API_SECRET, SandboxConfigError, startSandbox, type ExtraAccount } from './sandbox/startSandbox.js';
import { UsageError } from './util/errors.js';

const HELP = `Usage: node dist/sandbox.js --port P --data FILE.csv[,FILE.csv] [options]

A Bybit V5 exchange on loopback (REST + websocket), replaying real candles into a simulated account.

  --port P              REST port (and websocket port unless --ws-port); 0 = any free port
  --ws-port Q           serve /v5/public/linear and /v5/private on port Q instead
  --data FILES          candle CSV(.gz) files, comma-separated; symbol from the name (bybit-BTCUSDT-1m.csv)
  --clock-offset-ms X   the sandbox clock runs X ms ahead of this machine (negative: behind)
  --speed N             replay speed, 1 = real time (default 1); 0 = frozen at the start
  --ntp-port R          also answer NTP on UDP port R with the sandbox clock
  --faults SPEC         inject faults, e.g. ws-drop=30s,http5xx=5%,latency=200ms,partial=0.5,race-cancel=on
                        (ws-drop, stall, http5xx, http403, timeout, latency, storm10006, err10016, partial,
                        race-cancel, seed; see src/sandbox/faults.ts); during=start-up|reconciliation|
                        fill-catch-up|order-create with for=20s limits the REST faults to that phase's window
  --api-key K           the API key clients must use (default ${DEFAULT_API_KEY})
  --api-secret S        its secret (default: the documented sandbox secret)
  --balance USDT        the account's starting balance (default 10000)
  --account KEY:SECRET[:BALANCE]
                        one more account on the same market, reached with its own key (a mirror
                        account); its balance defaults to --balance; repeatable
  --history N           candles per file already closed at the start (default 200)
  --help                this text
`;

function intArg(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

/** `KEY:SECRET[:BALANCE]` of `--account` (a Bybit key and secret never contain a colon). */
function parseAccount(text: string): ExtraAccount {
  const [apiKey = '', apiSecret = '', initialBalance, ...rest] = text.split(':');
  if (apiKey === '' || apiSecret === '' || rest.length > 0) throw new UsageError(`--account must be KEY:SECRET or KEY:SECRET:BALANCE, got "${text.replace(/:.*/, ':…')}"`);
  if (initialBalance !== undefined && !(Number(initialBalance) > 0)) throw new UsageError(`--account ${apiKey}: the balance must be a positive number of USDT, got "${initialBalance}"`);
  return { apiKey, apiSecret, ...(initialBalance !== undefined ? { initialBalance } : {}) };
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'ws-port': { type: 'string' },
        data: { type: 'string' },
        'clock-offset-ms': { type: 'string' },
        speed: { type: 'string' },
        'ntp-port': { type: 'string' },
        faults: { type: 'string' },
        'api-key': { type: 'string' },
        'api-secret': { type: 'string' },
        history: { type: 'string' },
        balance: { type: 'string' },
        account: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new UsageError(`${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = intArg('port', values.port, 0, 65535);
  if (port === undefined) throw new UsageError(`--port is required\n\n${HELP}`);
  if (!values.data) throw new UsageError(`--data is required\n\n${HELP}`);
  if ((values['api-key'] === undefined) !== (values['api-secret'] === undefined)) throw new UsageError('--api-key and --api-secret go together');
  const speedText = values.speed ?? '1';
  const speed = Number(speedText);
  if (!Number.isFinite(speed) || speed < 0) throw new UsageError(`--speed must be a number >= 0, got "${speedText}"`);
  const offsetText = values['clock-offset-ms'];
  const clockOffsetMs = offsetText === undefined ? 0 : Number(offsetText);
  if (!Number.isFinite(clockOffsetMs)) throw new UsageError(`--clock-offset-ms must be a number, got "${offsetText}"`);
  if (values.faults !== undefined) {
    try {
      parseFaultSpec(values.faults);
    } catch (e) {
      if (e instanceof FaultSpecError) throw new UsageError(`--faults: ${e.message}`);
      throw e;
    }
  }
  const wsPort = intArg('ws-port', values['ws-port'], 0, 65535);
  const ntpPort = intArg('ntp-port', values['ntp-port'], 0, 65535);
  const history = intArg('history', values.history, 0, 10_000_000);
  const balance = values.balance;
  if (balance !== undefined && !(Number(balance) > 0)) throw new UsageError(`--balance must be a positive number of USDT, got "${balance}"`);
  const accounts = (values.account ?? []).map(parseAccount);
  const mainKey = values['api-key'] ?? DEFAULT_API_KEY;
  for (const [i, a] of accounts.entries()) {
    if (a.apiKey === mainKey || accounts.findIndex((b) => b.apiKey === a.apiKey) !== i) throw new UsageError(`--account: the key ${a.apiKey} is used twice; each account needs its own key`);
  }
  let sandbox;
  try {
    sandbox = await startSandbox({
      data: values.data.split(',').map((s) => s.trim()).filter((s) => s !== ''),
      port,
      ...(wsPort !== undefined ? { wsPort } : {}),
      ...(ntpPort !== undefined ? { ntpPort } : {}),
      ...(history !== undefined ? { historyCandles: history } : {}),
      clockOffsetMs,
      speed,
      ...(values.faults !== undefined ? { faults: values.faults } : {}),
      ...(values['api-key'] !== undefined ? { apiKeys: [{ apiKey: values['api-key'], apiSecret: values['api-secret'] ?? DEFAULT_API_SECRET }] } : {}),
      ...(balance !== undefined ? { initialBalance: balance } : {}),
      ...(accounts.length ? { extraAccounts: accounts } : {}),
    });
  } catch (e) {
    if (e instanceof SandboxConfigError || (e instanceof Error && e.name === 'CandleCsvError')) throw new UsageError(e.message);
    throw e;
  }
  process.stdout.write(
    `sandbox ${sandbox.symbols.join(',')} speed ${speed}\n` +
      `rest ${sandbox.restUrl}\n` +
      `ws-public ${sandbox.wsPublicUrl}\n` +
      `ws-private ${sandbox.wsPrivateUrl}\n` +
      (sandbox.ntpPort !== null ? `ntp udp://127.0.0.1:${sandbox.ntpPort}\n` : '') +
      `api-key ${mainKey}\n` +
      accounts.map((a) => `account ${a.apiKey} balance ${a.initialBalance ?? balance ?? '10000'}\n`).join(''),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`sandbox: ${e.message}\n`);
      process.exit(e.exitCode);
    }
    process.stderr.write(`sandbox: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
