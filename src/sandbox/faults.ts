/**
 * Fault injection for the sandbox (issue 3). Set with `--faults SPEC` or, while running, with
 * `sandbox.setFaults({...})`.
 *
 * SPEC is a comma-separated list of `name=value` (whitespace ignored), e.g.
 *   `--faults ws-drop=30s,http5xx=5%,latency=200ms,partial=0.5`
 *
 *   ws-drop=DURATION   close every websocket connection (abruptly, no close frame) every DURATION
 *   stall=SCOPE        public | private | all | none: those streams send nothing, not even pongs
 *   http5xx=RATE       that share of REST requests is answered HTTP 503 (an HTML body, as a proxy does)
 *   http403=DURATION   Bybit's per-IP ban: from the next REST request on, every REST request is
 *                      answered HTTP 403 "access too frequent" for DURATION (a bare number is seconds)
 *   timeout=RATE       that share of REST requests is never answered (the socket is held open)
 *   latency=DURATION   added before every REST response and every websocket message
 *   storm10006=RATE    that share of private REST requests is answered retCode 10006 (rate limit)
 *   err10016=RATE      that share of private REST requests is answered retCode 10016 (server error)
 *   partial=RATIO      fills are split: each fill event fills RATIO (0 < RATIO < 1) of what is left
 *   thin=RATIO         a thin book: a market order finds only RATIO of its quantity and, being IOC
 *                      on Bybit, has the rest cancelled (PartiallyFilledCanceled)
 *   race-cancel=on|off a cancel of an open order loses the race: the order fills, two `Filled`
 *                      order pushes are sent, and the cancel answers 110001
 *   seed=N             seed of the fault dice (default 1), so a run is repeatable
 *   during=PHASE       the REST faults (http5xx, timeout, storm10006, err10016) strike only in a
 *                      window: `start-up` opens it at the first REST request, `reconciliation` at the
 *                      first position, open-order or order-history read, `fill-catch-up` at the first
 *                      execution read, `order-create` at the first order create (only creates),
 *                      `orders` at the first order create, amend or cancel (a quote or entry that
 *                      Bybit is slow to answer), `trading-stop` at the first position trading-stop
 *                      call; then only requests of that phase are hit (any request for start-up).
 *                      `always` (default): no window
 *   for=DURATION       how long that window stays open (default 20s; a bare number is seconds)
 * DURATION is `N`, `Nms`, `Ns` or `Nm` (a bare number is seconds for ws-drop, ms for latency);
 * RATE is a fraction `0.05` or a percentage `5%`.
 */
export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

export const STALL_SCOPES = ['none', 'public', 'private', 'all'] as const;
export type StallScope = (typeof STALL_SCOPES)[number];

export interface FaultSettings {
  readonly wsDropEveryMs: number | null;
  readonly stall: StallScope;
  readonly http5xxRate: number;
  /** The 403 ban's length (`http403=`), or null. */
  readonly http403ForMs: number | null;
  readonly timeoutRate: number;
  readonly latencyMs: number;
  readonly storm10006Rate: number;
  readonly err10016Rate: number;
  readonly partialFillRatio: number | null;
  readonly thinBookRatio: number | null;
  readonly raceCancel: boolean;
  readonly seed: number;
  readonly during: FaultPhase;
  readonly windowMs: number;
}

/** When the REST faults strike (see `during=` above). */
export const FAULT_PHASES = ['always', 'start-up', 'reconciliation', 'fill-catch-up', 'order-create', 'orders', 'trading-stop'] as const;
export type FaultPhase = (typeof FAULT_PHASES)[number];

/** The REST paths a phase reads (the bot's Reconciler and fill catch-up; reference/bybit-v5.md section 2). */
const PHASE_PATHS: Record<Exclude<FaultPhase, 'always' | 'start-up'>, readonly string[]> = {
  reconciliation: ['/v5/position/list', '/v5/order/realtime', '/v5/order/history'],
  'fill-catch-up': ['/v5/execution/list'],
  // Only new orders: an answer that never says whether the order was taken (issue 24: a mirror's copy under faults).
  'order-create': ['/v5/order/create'],
  orders: ['/v5/order/create', '/v5/order/amend', '/v5/order/cancel', '/v5/order/cancel-all'],
  'trading-stop': ['/v5/position/trading-stop'],
};

/** True when a request to `path` belongs to `phase`. */
export function inFaultPhase(phase: FaultPhase, path: string): boolean {
  return phase === 'always' || phase === 'start-up' || PHASE_PATHS[phase].includes(path);
}

/** The fault types, as named in a SPEC. */
export const FAULT_NAMES = ['ws-drop', 'stall', 'http5xx', 'http403', 'timeout', 'latency', 'storm10006', 'err10016', 'partial', 'thin', 'race-cancel'] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * How often each fault actually struck since the sandbox started: connections dropped, stalled
 * messages and pongs withheld, REST answers replaced (503, 403, held, 10006, 10016), answers and
 * messages delayed, fills split, market orders cut short by a thin book, cancels that lost the race.
 */
export type FaultCounts = Record<FaultName, number>;

export function noFaultCounts(): FaultCounts {
  return Object.fromEntries(FAULT_NAMES.map((n) => [n, 0])) as FaultCounts;
}

export const NO_FAULTS: FaultSettings = {
  wsDropEveryMs: null,
  stall: 'none',
  http5xxRate: 0,
  http403ForMs: null,
  timeoutRate: 0,
  latencyMs: 0,
  storm10006Rate: 0,
  err10016Rate: 0,
  partialFillRatio: null,
  thinBookRatio: null,
  raceCancel: false,
  seed: 1,
  during: 'always',
  windowMs: 20_000,
};

function duration(name: string, v: string, bareUnitMs: number): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
  if (!m) throw new FaultSpecError(`fault ${name}: "${v}" is not a duration (use e.g. 500ms, 30s, 2m)`);
  const n = Number(m[1]);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : bareUnitMs;
  return n * unit;
}

function rate(name: string, v: string): number {
  const pct = v.endsWith('%');
  const n = Number(pct ? v.slice(0, -1) : v);
  const r = pct ? n / 100 : n;
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new FaultSpecError(`fault ${name}: "${v}" is not a rate between 0 and 1 (or 0% and 100%)`);
  return r;
}

/** Parses a `--faults` SPEC into the settings it changes. Throws FaultSpecError naming the bad part. */
export function parseFaultSpec(spec: string): Partial<FaultSettings> {
  const out: { -readonly [K in keyof FaultSettings]?: FaultSettings[K] } = {};
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`fault "${part}" must be name=value`);
    const name = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    switch (name) {
      case 'ws-drop': {
        const ms = duration(name, v, 1000);
        if (ms <= 0) throw new FaultSpecError('fault ws-drop: the period must be > 0');
        out.wsDropEveryMs = ms;
        break;
      }
      case 'stall':
        if (!(STALL_SCOPES as readonly string[]).includes(v)) throw new FaultSpecError(`fault stall: "${v}" must be one of ${STALL_SCOPES.join(', ')}`);
        out.stall = v as StallScope;
        break;
      case 'http5xx':
        out.http5xxRate = rate(name, v);
        break;
      case 'http403': {
        const ms = duration(name, v, 1000);
        if (ms <= 0) throw new FaultSpecError('fault http403: the ban must last > 0');
        out.http403ForMs = ms;
        break;
      }
      case 'timeout':
        out.timeoutRate = rate(name, v);
        break;
      case 'latency':
        out.latencyMs = duration(name, v, 1);
        break;
      case 'storm10006':
        out.storm10006Rate = rate(name, v);
        break;
      case 'err10016':
        out.err10016Rate = rate(name, v);
        break;
      case 'partial': {
        const r = Number(v);
        if (!(r > 0 && r < 1)) throw new FaultSpecError(`fault partial: "${v}" must be a ratio between 0 and 1 (exclusive)`);
        out.partialFillRatio = r;
        break;
      }
      case 'thin': {
        const r = Number(v);
        if (!(r > 0 && r < 1)) throw new FaultSpecError(`fault thin: "${v}" must be a ratio between 0 and 1 (exclusive)`);
        out.thinBookRatio = r;
        break;
      }
      case 'race-cancel':
        if (v !== 'on' && v !== 'off') throw new FaultSpecError(`fault race-cancel: "${v}" must be on or off`);
        out.raceCancel = v === 'on';
        break;
      case 'seed': {
        const n = Number(v);
        if (!Number.isInteger(n)) throw new FaultSpecError(`fault seed: "${v}" must be an integer`);
        out.seed = n;
        break;
      }
      case 'during':
        if (!(FAULT_PHASES as readonly string[]).includes(v)) throw new FaultSpecError(`fault during: "${v}" must be one of ${FAULT_PHASES.join(', ')}`);
        out.during = v as FaultPhase;
        break;
      case 'for': {
        const ms = duration(name, v, 1000);
        if (ms <= 0) throw new FaultSpecError('fault for: the window must be > 0');
        out.windowMs = ms;
        break;
      }
      default:
        throw new FaultSpecError(`unknown fault "${name}" (known: ws-drop, stall, http5xx, http403, timeout, latency, storm10006, err10016, partial, thin, race-cancel, seed, during, for)`);
    }
  }
  return out;
}
