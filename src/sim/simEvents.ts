/**
 * The simulator's listeners (the sandbox's private streams, paper mode's exchange port) and the
 * events its parts report to them. Order, position and wallet views are built only when someone
 * listens, so that a backtest without listeners pays nothing for them.
 */
import type { SimAccount } from './simAccount.js';
import type { InternalOrder, SimMarket } from './simMarket.js';
import { copyOrder } from './simMarket.js';
import type { SimEvent, SimExecution, SimListener } from './simTypes.js';

/** What the order book and the filler report (./restingOrders.ts, ./orderFiller.ts). */
export interface SimEventSink {
  order(o: InternalOrder): void;
  execution(e: SimExecution): void;
  position(m: SimMarket): void;
  wallet(): void;
}

export class SimEvents implements SimEventSink {
  readonly #listeners: SimListener[] = [];
  readonly #account: SimAccount;
  readonly #markets: ReadonlyMap<string, SimMarket>;

  constructor(account: SimAccount, markets: ReadonlyMap<string, SimMarket>) {
    this.#account = account;
    this.#markets = markets;
  }

  /** Adds a listener; returns its removal. */
  on(listener: SimListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  order(o: InternalOrder): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'order', order: copyOrder(o) });
  }

  execution(e: SimExecution): void {
    this.#emit({ kind: 'execution', execution: e });
  }

  position(m: SimMarket): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'position', position: this.#account.positionView(m) });
  }

  wallet(): void {
    if (this.#listeners.length > 0) this.#emit({ kind: 'wallet', wallet: this.#account.wallet(this.#markets.values()) });
  }

  #emit(e: SimEvent): void {
    for (const l of this.#listeners) l(e);
  }
}
