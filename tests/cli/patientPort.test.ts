/**
 * The running bot's wrapped exchange port (src/cli/patientPort.ts): the reads that wait go through
 * Patience; every other member is the port's own, so a method the port gains later is not lost on
 * the way to the engine (the newest instrument rules were, once: a symbol leaving Trading went
 * unseen by the live engine while the bare port knew it).
 */
import { describe, expect, it } from 'vitest';
import { Patience } from '../../src/cli/patience.js';
import { patientPort } from '../../src/cli/patientPort.js';
import { ExchangeError } from '../../src/domain/exchangeErrors.js';
import type { ExchangePort } from '../../src/engine/exchangePort.js';
import { silentLogger } from '../../src/util/logger.js';

/** A port that keeps its state in private fields, as BybitExchange does. */
class RulesPort {
  readonly name = 'rules';
  #status = 'Trading';
  #balanceReads = 0;
  leave(status: string): void {
    this.#status = status;
  }
  instrument(symbol: string): { symbol: string; status: string } {
    return { symbol, status: this.#status };
  }
  async fetchBalance(): Promise<{ reads: number }> {
    this.#balanceReads++;
    // What the adapter makes of a dropped connection: a retryable ExchangeError.
    if (this.#balanceReads === 1) throw new ExchangeError('GET /v5/account/wallet-balance: socket hang up', 'retryable');
    return { reads: this.#balanceReads };
  }
}

describe('patientPort', () => {
  it("passes on the members it does not wait for, bound to the port (the instrument's newest status)", () => {
    const port = new RulesPort();
    const wrapped = patientPort(port as unknown as ExchangePort, new Patience(silentLogger, () => {}));
    port.leave('Delivering');
    expect(wrapped.instrument?.('BTCUSDT')).toEqual({ symbol: 'BTCUSDT', status: 'Delivering' });
    expect(wrapped.name).toBe('rules');
  });

  it('waits out a transient failure of a read it wraps, and answers with the port’s result', async () => {
    const port = new RulesPort();
    const patience = new Patience(silentLogger, () => {});
    const wrapped = patientPort(port as unknown as ExchangePort, patience);
    await expect(wrapped.fetchBalance()).resolves.toEqual({ reads: 2 });
    patience.stop();
  }, 20_000);
});
