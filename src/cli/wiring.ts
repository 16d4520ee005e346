/**
 * From config.json to the engine: its settings and one strategy per symbol. The one place where
 * config shapes meet engine shapes, shared by run, paper, replay and backtest so they trade alike.
 */
import type { Config, SymbolConfig } from '../config/schema.js';
import type { EngineSettings, EngineSymbolSettings } from '../engine/ports.js';
import { Maker } from '../strategies/maker.js';
import { Scalper } from '../strategies/scalper.js';
import type { Strategy } from '../strategies/strategy.js';

/** Prefix of every orderLinkId this bot creates; reconciliation touches only orders that carry it. */
export const ORDER_ID_PREFIX = 'ps';

export function engineSymbolSettings(s: SymbolConfig, takerFeePct = 0.055): EngineSymbolSettings {
  const common = { symbol: s.symbol, enabled: s.enabled, intervalMinutes: s.intervalMinutes, leverage: s.leverage };
  if (s.strategy === 'scalper') {
    // An unset breakeven buffer is twice the taker fee in force (the engine updates it from the account's fees).
    const auto = s.exits.breakeven.feeBufferPct === null;
    const exits = { ...s.exits, breakeven: { ...s.exits.breakeven, feeBufferPct: s.exits.breakeven.feeBufferPct ?? 2 * takerFeePct } };
    return { ...common, strategy: 'scalper', sizing: s.sizing, exits, maxSpreadPct: s.maxSpreadPct, entry: s.entry, ...(auto ? { breakevenBufferFromFees: true } : {}) };
  }
  return {
    ...common,
    strategy: 'maker',
    protectiveStopPct: s.protectiveStopPct,
    quoteTolerance: { pricePct: s.params.refreshTolerancePct, maxAgeMs: s.params.maxQuoteAgeMs },
  };
}

export function engineSettingsFrom(config: Config, over: Partial<EngineSettings> = {}): EngineSettings {
  return {
    symbols: config.symbols.map((s) => engineSymbolSettings(s, config.paper.takerFeePct)),
    risk: config.risk,
    takerFeePct: config.paper.takerFeePct,
    makerFeePct: config.paper.makerFeePct,
    // Paper and backtest trade the simulator at the paper fees; live modes read the account's own.
    feesFromExchange: config.mode !== 'paper',
    orderIdPrefix: ORDER_ID_PREFIX,
    fallbackStopPct: config.risk.fallbackStopPct,
    requoteMinIntervalMs: 1000,
    ...over,
  };
}

export function strategyFor(s: SymbolConfig): Strategy {
  return s.strategy === 'scalper'
    ? new Scalper({ symbol: s.symbol, intervalMs: s.intervalMinutes * 60_000, params: s.params })
    : new Maker({ symbol: s.symbol, params: s.params });
}

export function strategiesFrom(config: Config): Map<string, Strategy> {
  return new Map(config.symbols.map((s) => [s.symbol, strategyFor(s)]));
}
