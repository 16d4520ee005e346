/**
 * The private topics of `/v5/private` (reference section 2): order, execution, position and wallet
 * pushes on every change of the simulator, each under its bare name and its `.linear` name. A
 * position's TP/SL/trailing stop is pushed on the order topic too, as Bybit's conditional orders
 * (./conditionalOrders.ts).
 */
import type { Prng } from '../sim/prng.js';
import type { Simulator } from '../sim/simulator.js';
import type { SimEvent, SimOrder } from '../sim/simTypes.js';
import { walletTotals } from './accountRoutes.js';
import type { AccountSettings } from './accountSettings.js';
import { ConditionalPushes } from './conditionalOrders.js';
import { type Wire, wireExecution, wireOrder, wirePosition, wireWallet } from './wire.js';
import type { WsConn, WsFanOut } from './wsFanOut.js';

export const PRIVATE_TOPICS: ReadonlySet<string> = new Set(['order', 'execution', 'position', 'wallet', 'order.linear', 'execution.linear', 'position.linear']);

export interface PrivateTopicsContext {
  readonly sim: Simulator;
  readonly nowMs: () => number;
  readonly account: AccountSettings;
  /**
   * The keys of this account, where the sandbox serves several (issue 24: a mirror account): only
   * connections authenticated with one of them get its pushes. Absent = every private connection.
   */
  readonly owns?: ReadonlySet<string>;
}

export class PrivateTopics {
  readonly #ctx: PrivateTopicsContext;
  readonly #fanOut: WsFanOut;
  /** Shared with the rest of the hub: push ids are drawn in the same sequence as connection ids. */
  readonly #prng: Prng;
  #pushId = 0;
  readonly #conditional = new ConditionalPushes();

  constructor(ctx: PrivateTopicsContext, fanOut: WsFanOut, prng: Prng) {
    this.#ctx = ctx;
    this.#fanOut = fanOut;
    this.#prng = prng;
  }

  onSimEvent(e: SimEvent): void {
    if (!this.#anySubscriber()) return;
    const sim = this.#ctx.sim;
    switch (e.kind) {
      case 'order':
        this.#push('order', [wireOrder(e.order, sim.instrument(e.order.symbol), true)]);
        break;
      case 'execution':
        this.#push('execution', [wireExecution(e.execution, sim.instrument(e.execution.symbol), String(sim.lastPrice(e.execution.symbol)), true)]);
        break;
      case 'position': {
        this.#push('position', [wirePosition(e.position, sim.instrument(e.position.symbol), 'ws')]);
        // The position's own TP/SL/trailing orders, as Bybit pushes them on the order topic.
        const changed = this.#conditional.changes(sim, e.position);
        if (changed.length > 0) this.#push('order', changed.map((w) => ({ ...w, category: 'linear' })));
        break;
      }
      case 'wallet':
        this.#push('wallet', [wireWallet(e.wallet, walletTotals(this.#ctx.account), this.#ctx.account.collateral)]);
        break;
    }
  }

  /** The second `Filled` push of a fill that raced a cancel (reference section 2). */
  pushDuplicateOrder(o: SimOrder): void {
    this.#push('order', [wireOrder(o, this.#ctx.sim.instrument(o.symbol), true)]);
  }

  /** Nobody listening: the simulator's events are not even turned into wire shapes. */
  #anySubscriber(): boolean {
    for (const t of PRIVATE_TOPICS) if ((this.#subscribers(t)?.size ?? 0) > 0) return true;
    return false;
  }

  /** The topic's subscribers on this account (all of them when the sandbox serves one account). */
  #subscribers(topic: string): ReadonlySet<WsConn> | undefined {
    const set = this.#fanOut.subscribers(topic);
    const owns = this.#ctx.owns;
    if (!set || owns === undefined) return set;
    return new Set([...set].filter((c) => c.apiKey !== undefined && owns.has(c.apiKey)));
  }

  #push(base: string, data: Wire[]): void {
    const now = this.#ctx.nowMs();
    for (const topic of [base, `${base}.linear`]) {
      const set = this.#subscribers(topic);
      if (!set || set.size === 0) continue;
      this.#pushId++;
      const msg = { id: `${this.#pushId}${this.#prng.uuid().slice(0, 8)}`, topic, creationTime: now, data };
      this.#fanOut.broadcast(set, JSON.stringify(msg));
    }
  }
}
