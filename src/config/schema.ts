/**
 * The one schema for `config.json` (valibot). Every field has a default where a sensible one
 * exists, so a minimal file is a few lines; every constraint carries a message that states the
 * expected form, because that message is what a phone owner sees after a typo.
 */
import cron from 'node-cron';
import * as v from 'valibot';
import { MODES } from '../domain/types.js';
import { makerParamsSchema } from '../strategies/makerParams.js';
import { scalperParamsSchema } from '../strategies/scalperParams.js';

const pct = (min: number, max: number, what = 'a percentage') =>
  v.pipe(v.number(`expected ${what} (a number from ${min} to ${max})`), v.minValue(min, `expected ${what} from ${min} to ${max}`), v.maxValue(max, `expected ${what} from ${min} to ${max}`));
const int = (min: number, max: number, what = 'a whole number') =>
  v.pipe(v.number(`expected ${what} from ${min} to ${max}`), v.integer(`expected ${what} (no decimals)`), v.minValue(min, `expected ${what} from ${min} to ${max}`), v.maxValue(max, `expected ${what} from ${min} to ${max}`));
const positive = (what: string) => v.pipe(v.number(`expected ${what} (a positive number)`), v.gtValue(0, `expected ${what} greater than 0`));
const bool = v.boolean('expected true or false');

export function isValidTimeZone(tz: string): boolean {
  // UTC, the default, is valid without asking Intl, whose first use loads ICU's data (8 MB).
  if (tz === 'UTC' || tz === 'Etc/UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
const timeZone = v.pipe(v.string('expected an IANA time zone such as "UTC" or "Europe/Berlin"'), v.check(isValidTimeZone, 'expected an IANA time zone such as "UTC" or "Europe/Berlin"'));
const cronExpr = v.pipe(
  v.string('expected a cron expression such as "0 21 * * *"'),
  v.check((s) => cron.validate(s), 'expected a cron expression such as "0 21 * * *" (minute hour day month weekday)'),
);
const clockTime = v.pipe(v.string('expected a time "HH:MM"'), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour time "HH:MM", e.g. "23:00"'));
const httpUrl = v.pipe(v.string('expected a URL'), v.check((s) => /^https?:\/\/[^\s]+$/.test(s), 'expected an http:// or https:// URL'));
const wsUrl = v.pipe(v.string('expected a URL'), v.check((s) => /^wss?:\/\/[^\s]+$/.test(s), 'expected a ws:// or wss:// URL'));

/** Bybit linear symbols: upper-case base coin and the quote coin, e.g. BTCUSDT, 1000PEPEUSDT. */
export const SYMBOL_PATTERN = /^[A-Z0-9]{2,24}(USDT|USDC)$/;
// "ethusdt" is taken as ETHUSDT: Bybit's names are in capitals, and nothing else could be meant.
const symbol = v.pipe(
  v.string('expected a symbol such as "BTCUSDT"'),
  // Checked before upper-casing, so a problem shows the value as it was written.
  v.check((s) => SYMBOL_PATTERN.test(s.toUpperCase()), 'expected a Bybit linear symbol with no separator, such as "BTCUSDT" or "ETHUSDT"'),
  v.toUpperCase(),
);

/** Bybit kline intervals, in minutes (D = 1440). */
export const INTERVALS_MINUTES = [1, 3, 5, 15, 30, 60, 120, 240, 360, 720, 1440] as const;
const intervalMinutes = v.picklist(INTERVALS_MINUTES, `expected one of ${INTERVALS_MINUTES.join(', ')} (minutes)`);

const sizing = v.variant(
  'mode',
  [
    v.strictObject({
      mode: v.literal('risk'),
      /** Equity × riskPct ÷ stop distance. */
      riskPerTradePct: v.optional(pct(0.01, 10, 'a risk per trade in percent of equity'), 1),
      maxNotionalUsdt: v.optional(v.nullable(positive('a maximum position value in USDT')), null),
    }),
    v.strictObject({
      mode: v.literal('notional'),
      notionalUsdt: positive('a position value in USDT'),
    }),
  ],
  'expected "mode": "risk" (with riskPerTradePct) or "mode": "notional" (with notionalUsdt)',
);

const exits = v.pipe(
  v.strictObject({
    /** Share of the position closed at each take-profit target, nearest first; must add up to 1. */
    ladderFractions: v.optional(v.pipe(v.array(pct(0.01, 1, 'a fraction'), 'expected a list of fractions such as [0.6, 0.15, 0.15, 0.1]'), v.minLength(1, 'expected at least one fraction')), [0.6, 0.15, 0.15, 0.1]),
    breakeven: v.optional(
      v.strictObject({
        enabled: v.optional(bool, true),
        /** Move the stop to entry after this many targets have filled. */
        afterTargets: v.optional(int(1, 10), 1),
        /** Beyond entry by this much, so a breakeven exit also pays the fees. Null = twice the taker fee in force (Bybit's own rate in live modes, paper.takerFeePct otherwise). */
        feeBufferPct: v.optional(v.nullable(pct(0, 5)), null),
      }),
      {},
    ),
    trailing: v.optional(
      v.strictObject({
        enabled: v.optional(bool, false),
        /** Trailing starts once price has moved this many R in favour (Bybit activePrice). */
        activationR: v.optional(positive('an R multiple'), 2),
        distancePct: v.optional(pct(0.01, 50), 0.5),
      }),
      {},
    ),
    /** Close a position after this many candles; 0 = never. */
    timeExitCandles: v.optional(int(0, 100_000), 0),
    /** Cancel the unfilled rest of an entry after this long. */
    entryTimeoutSec: v.optional(int(1, 3600), 30),
  }),
  v.check((e) => Math.abs(e.ladderFractions.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'ladderFractions must add up to 1'),
);

/**
 * How the scalper enters (issue 24 item 5): "market" (today's behaviour), or "limit": a post-only
 * limit at the signal candle's close, `offsetPct` better, with the stop attached, cancelled when it
 * has not filled after `timeoutCandles` candles or when the price reaches the first target first.
 */
const entryOrder = v.strictObject({
  type: v.optional(v.picklist(['market', 'limit'], 'expected "market" or "limit"'), 'market'),
  /** Limit entries: this far below the close for a long, above it for a short, in percent. */
  offsetPct: v.optional(pct(0, 5, 'an offset in percent'), 0),
  /** Limit entries: cancelled when still not filled at the close of this many candles after the signal. */
  timeoutCandles: v.optional(int(1, 1000, 'a number of candles'), 3),
});

/** A spread limit in percent of the mid price (0.01 = 1 basis point). */
const spreadPct = v.pipe(v.number('expected a spread in percent (e.g. 0.01)'), v.gtValue(0, 'expected a spread in percent greater than 0'), v.maxValue(10, 'expected a spread in percent of at most 10'));

/** `scan`: which linear USDT perpetuals it lists (issue 24). */
export const scannerSchema = v.strictObject({
  maxSpreadPct: v.optional(spreadPct, 0.01),
  /** In USDT over 24 h. */
  minTurnover24h: v.optional(v.pipe(v.number('expected a turnover in USDT'), v.minValue(0, 'expected a turnover in USDT of 0 or more')), 10_000_000),
});

const symbolCommon = {
  symbol,
  enabled: v.optional(bool, true),
  intervalMinutes: v.optional(intervalMinutes, 1),
  leverage: v.optional(int(1, 100, 'a leverage'), 3),
};

export const scalperEntrySchema = v.pipe(
  v.strictObject({
    ...symbolCommon,
    strategy: v.literal('scalper'),
    params: v.optional(scalperParamsSchema, {}),
    sizing: v.optional(sizing, { mode: 'risk' }),
    exits: v.optional(exits, {}),
    entry: v.optional(entryOrder, {}),
    /** Spread guard: a market entry is skipped while (ask − bid) / mid exceeds this, in percent; null = no guard. */
    maxSpreadPct: v.optional(v.nullable(spreadPct), null),
  }),
  v.forward(
    v.check((e) => e.exits.ladderFractions.length === e.params.takeProfitR.length, 'exits.ladderFractions must have one fraction per target in params.takeProfitR'),
    ['exits', 'ladderFractions'],
  ),
);

export const makerEntrySchema = v.strictObject({
  ...symbolCommon,
  strategy: v.literal('maker'),
  params: v.optional(makerParamsSchema, {}),
  /** Exchange-side stop on the maker's inventory, percent from its entry price (the strategy's own inventory stop acts first). */
  protectiveStopPct: v.optional(pct(0.1, 50), 2),
});

const symbolEntry = v.variant('strategy', [scalperEntrySchema, makerEntrySchema], 'expected "strategy": "scalper" or "strategy": "maker"');

export const configSchema = v.pipe(
  v.strictObject({
    mode: v.optional(v.picklist(MODES, `expected one of ${MODES.join(', ')}`), 'paper'),
    /** Real money: must be set to true as well as mode "mainnet" (the wizard does it after a typed confirmation). */
    confirmMainnet: v.optional(bool, false),
    /** Relative paths are resolved against the directory of config.json. */
    stateDir: v.optional(v.pipe(v.string('expected a directory path'), v.minLength(1, 'expected a directory path')), 'state'),
    exchange: v.optional(
      v.strictObject({
        /** Override the REST base URL (the sandbox, a proxy). Null = Bybit's URL for the mode. */
        restUrl: v.optional(v.nullable(httpUrl), null),
        wsPublicUrl: v.optional(v.nullable(wsUrl), null),
        wsPrivateUrl: v.optional(v.nullable(wsUrl), null),
        recvWindowMs: v.optional(int(1000, 60_000), 5000),
        requestTimeoutMs: v.optional(int(1000, 120_000), 10_000),
      }),
      {},
    ),
    clock: v.optional(
      v.strictObject({
        ntpServers: v.optional(
          v.pipe(
            v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected "host" or "host:port"')), 'expected a list of NTP servers'),
            v.minLength(1, 'expected at least one NTP server'),
          ),
          ['time.cloudflare.com', 'time.google.com', 'pool.ntp.org'],
        ),
        samplesPerServer: v.optional(int(1, 16), 4),
        timeoutMs: v.optional(int(100, 30_000), 2000),
        /** Refuse to sign when the offset is not known better than this. */
        maxUncertaintyMs: v.optional(int(1, 60_000), 250),
        /** Refuse to sign when NTP and Bybit's clock disagree by more than both readings' uncertainties plus this. */
        maxDisagreementMs: v.optional(int(1, 60_000), 500),
        /** A measurement older than this is stale. */
        maxAgeMs: v.optional(int(10_000, 86_400_000), 900_000),
        /** A jump of the machine clock larger than this since the last measurement (Android auto-time) forces a re-measurement. */
        maxStepMs: v.optional(int(10, 60_000), 500),
        /** Trust Bybit's server time alone when no NTP server answers (UDP 123 blocked on some networks). */
        exchangeFallback: v.optional(bool, false),
        remeasureCron: v.optional(cronExpr, '*/5 * * * *'),
      }),
      {},
    ),
    risk: v.optional(
      v.strictObject({
        maxDailyLossPct: v.optional(pct(0.1, 100), 3),
        maxDrawdownPct: v.optional(pct(0.1, 100), 15),
        lossStreak: v.optional(v.strictObject({ losses: v.optional(int(1, 100), 3), cooldownMinutes: v.optional(int(1, 10_080), 60) }), {}),
        maxOpenPositions: v.optional(int(1, 50), 2),
        /** Stop given to a position found on the exchange without one (reconciliation), percent from entry. */
        fallbackStopPct: v.optional(pct(0.1, 50), 2),
        /** The daily-loss window resets at midnight in this zone. */
        dayTimeZone: v.optional(timeZone, 'UTC'),
        /**
         * Kill switch: when the bot's own equity (its realised and unrealised PnL, fees included)
         * falls this far below its peak, cancel its orders, close its positions and lock entries
         * until `resume --reset-peak`. Null = off; when set, above maxDrawdownPct.
         */
        killSwitchDrawdownPct: v.optional(v.nullable(pct(0.1, 100)), null),
        /** After this many order requests failed in a row, no new entries or quotes for cooldownSeconds (doubling, up to 15 min). */
        circuitBreaker: v.optional(v.strictObject({ failures: v.optional(int(1, 100), 5), cooldownSeconds: v.optional(int(1, 900), 60) }), {}),
      }),
      {},
    ),
    alerts: v.optional(
      v.strictObject({
        termux: v.optional(v.strictObject({ enabled: v.optional(bool, true), timeoutMs: v.optional(int(500, 60_000), 8000), statusNotification: v.optional(bool, true) }), {}),
        webhook: v.optional(v.strictObject({ url: v.optional(v.nullable(httpUrl), null) }), {}),
        /** The bot token is a secret: TELEGRAM_BOT_TOKEN or the secrets file. */
        telegram: v.optional(v.strictObject({ chatId: v.optional(v.nullable(v.union([v.string(), v.number()], 'expected a chat id')), null) }), {}),
        quietHours: v.optional(v.nullable(v.strictObject({ start: clockTime, end: clockTime })), null),
        timeZone: v.optional(timeZone, 'UTC'),
        minLevel: v.optional(v.picklist(['info', 'trade', 'warning', 'critical'], 'expected info, trade, warning or critical'), 'info'),
      }),
      {},
    ),
    schedules: v.optional(
      v.strictObject({
        timeZone: v.optional(timeZone, 'UTC'),
        dailySummary: v.optional(cronExpr, '0 21 * * *'),
        instrumentRefresh: v.optional(cronExpr, '0 */6 * * *'),
        backup: v.optional(cronExpr, '17 * * * *'),
        statusRefresh: v.optional(cronExpr, '*/5 * * * *'),
      }),
      {},
    ),
    battery: v.optional(
      v.strictObject({
        /** Only acts where termux-battery-status exists. */
        enabled: v.optional(bool, true),
        minPercent: v.optional(int(1, 99), 20),
        maxTemperatureC: v.optional(v.pipe(v.number('expected degrees Celsius'), v.minValue(20), v.maxValue(80, 'expected degrees Celsius from 20 to 80')), 45),
        pollSeconds: v.optional(int(10, 3600), 120),
      }),
      {},
    ),
    paper: v.optional(
      v.strictObject({
        startBalanceUsdt: v.optional(positive('a starting balance in USDT'), 1000),
        makerFeePct: v.optional(pct(-1, 1, 'a fee in percent'), 0.02),
        takerFeePct: v.optional(pct(-1, 1, 'a fee in percent'), 0.055),
        slippagePct: v.optional(pct(0, 5), 0.01),
      }),
      {},
    ),
    scanner: v.optional(scannerSchema, {}),
    /**
     * A second (mirror) account that copies every entry of this one at the same share of its own
     * balance (issue 24). Its key is a secret: BYBIT_MIRROR_API_KEY / BYBIT_MIRROR_API_SECRET or
     * the secrets file's mirrorApiKey / mirrorApiSecret. Off by default; applied by a hot reload.
     */
    mirror: v.optional(v.strictObject({ enabled: v.optional(bool, false) }), {}),
    log: v.optional(
      v.strictObject({
        level: v.optional(v.picklist(['debug', 'info', 'warn', 'error'], 'expected debug, info, warn or error'), 'info'),
        maxBytes: v.optional(int(10_000, 1_000_000_000), 2_000_000),
        keep: v.optional(int(0, 50), 3),
      }),
      {},
    ),
    symbols: v.pipe(
      v.array(symbolEntry, 'expected a list of symbol entries'),
      v.minLength(1, 'expected at least one symbol entry, e.g. [{"symbol": "BTCUSDT", "strategy": "scalper"}]'),
      v.check((list) => new Set(list.map((s) => s.symbol)).size === list.length, 'each symbol may appear only once'),
    ),
  }),
  v.forward(
    v.check((c) => c.risk.killSwitchDrawdownPct === null || c.risk.killSwitchDrawdownPct > c.risk.maxDrawdownPct, 'the kill switch must sit above the drawdown lock: set risk.killSwitchDrawdownPct above risk.maxDrawdownPct (or null for off)'),
    ['risk', 'killSwitchDrawdownPct'],
  ),
  v.forward(
    v.check((c) => c.mode !== 'mainnet' || c.confirmMainnet, 'mode "mainnet" trades real money: also set "confirmMainnet": true (or run `init`, which asks for a typed confirmation)'),
    ['confirmMainnet'],
  ),
);

export type Config = v.InferOutput<typeof configSchema>;
export type SymbolConfig = Config['symbols'][number];
export type ScalperSymbolConfig = Extract<SymbolConfig, { strategy: 'scalper' }>;
export type MakerSymbolConfig = Extract<SymbolConfig, { strategy: 'maker' }>;
