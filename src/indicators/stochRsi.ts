/**
 * Stochastic RSI, TradingView's definition as fixed in DESIGN section 5:
 * raw = 100·(rsi − min(rsi, stochLength)) / (max − min), 0 when max = min;
 * K = SMA(raw, kSmoothing); D = SMA(K, dSmoothing); scale 0–100 on every branch.
 * `update(close)` returns K; D is read from `d`. K first appears at input
 * rsiLength + stochLength + kSmoothing − 1 (`requiredInputs`), D `dSmoothing − 1` inputs later.
 * Unlike trading-signals' StochRSI, a real 0 is a value, not "not ready" (STYLE point 2).
 */
import { assertLength, type Indicator } from './indicator.js';
import { RollingStochastic } from './rollingStochastic.js';
import { Rsi } from './rsi.js';
import { Sma } from './sma.js';

export interface StochRsiLengths {
  readonly rsiLength: number;
  readonly stochLength: number;
  readonly kSmoothing: number;
  readonly dSmoothing: number;
}

export const DEFAULT_STOCH_RSI_LENGTHS: StochRsiLengths = { rsiLength: 14, stochLength: 14, kSmoothing: 3, dSmoothing: 3 };

export class StochRsi implements Indicator<number> {
  readonly requiredInputs: number;
  /** Inputs after which `d` is first defined. */
  readonly requiredInputsD: number;
  readonly #rsi: Rsi;
  readonly #stoch: RollingStochastic;
  readonly #k: Sma;
  readonly #d: Sma;

  constructor(lengths: StochRsiLengths = DEFAULT_STOCH_RSI_LENGTHS) {
    const { rsiLength, stochLength, kSmoothing, dSmoothing } = lengths;
    assertLength(rsiLength, 1, 'StochRsi rsiLength');
    assertLength(stochLength, 1, 'StochRsi stochLength');
    assertLength(kSmoothing, 1, 'StochRsi kSmoothing');
    assertLength(dSmoothing, 1, 'StochRsi dSmoothing');
    this.#rsi = new Rsi(rsiLength);
    this.#stoch = new RollingStochastic(stochLength);
    this.#k = new Sma(kSmoothing);
    this.#d = new Sma(dSmoothing);
    this.requiredInputs = rsiLength + stochLength + kSmoothing - 1;
    this.requiredInputsD = this.requiredInputs + dSmoothing - 1;
  }

  /** K, the main output. */
  get value(): number | null {
    return this.#k.value;
  }

  get k(): number | null {
    return this.#k.value;
  }

  get d(): number | null {
    return this.#d.value;
  }

  get rsi(): number | null {
    return this.#rsi.value;
  }

  /** The unsmoothed stochastic of RSI, 0–100. */
  get raw(): number | null {
    return this.#stoch.value;
  }

  get isStable(): boolean {
    return this.#k.value !== null;
  }

  update(close: number): number | null {
    const rsi = this.#rsi.update(close);
    if (rsi === null) return null;
    const raw = this.#stoch.update(rsi);
    if (raw === null) return null;
    const k = this.#k.update(raw);
    if (k !== null) this.#d.update(k);
    return k;
  }
}
