/**
 * What every part of the engine shares: the exchange, the store, the order tracker, the logger,
 * the two clocks, the settings in force and a way to tell the owner. The Engine builds one and
 * hands it to each part, so the parts never reach into the Engine or into one another.
 */
import type { Logger } from '../util/logger.js';
import type { ExchangePort } from './exchangePort.js';
import type { OrderTracker } from './orderTracker.js';
import type { AlertLevel, EngineAlerts, EngineSettings, EngineStore } from './ports.js';

export type OwnerAlert = (level: AlertLevel, kind: string, title: string, body: string, symbol?: string, dedupeKey?: string) => void;

export interface EngineContext {
  readonly port: ExchangePort;
  readonly store: EngineStore;
  readonly tracker: OrderTracker;
  readonly logger: Logger;
  /** The clock as given (EngineDeps.now): how fresh a pushed balance is, how far back fills are fetched. */
  clockMs(): number;
  /** Decision time: the clock moved onto the market's time (see Engine). */
  now(): number;
  /** The settings in force; hot reload replaces them. */
  settings(): EngineSettings;
  /** True once a graceful shutdown has begun: no new decisions or reconciliations. */
  stopping(): boolean;
  alert: OwnerAlert;
}

/** Sends to the owner; a failing alert channel is logged and never breaks trading. */
export function ownerAlert(alerts: EngineAlerts, logger: Logger): OwnerAlert {
  return (level, kind, title, body, symbol, dedupeKey) => {
    try {
      alerts.send({ level, kind, title, body, ...(symbol ? { symbol } : {}), ...(dedupeKey ? { dedupeKey } : {}) });
    } catch (e) {
      logger.warn('alert failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };
}
