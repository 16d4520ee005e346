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

export function engineSymbolSettings(s: SymbolConfig): EngineSymbolSettings {
  const common = { symbol: s.symbol, enabled: s.enabled, intervalMinutes: s.intervalMinutes, leverage: s.leverage };
  if (s.strategy === 'scalper') return { ...common, strategy: 'scalper', sizing: s.sizing, exits: s.exits, maxSpreadPct: s.maxSpreadPct };
  return {
    ...common,
    strategy: 'maker',
    protectiveStopPct: s.protectiveStopPct,
    quoteTolerance: { pricePct: s.params.refreshTolerancePct, maxAgeMs: s.params.maxQuoteAgeMs },
  };
}

export function engineSettingsFrom(config: Config, over: Partial<EngineSettings> = {}): EngineSettings {
  return {
    symbols: config.symbols.map(engineSymbolSettings),
    risk: config.risk,
    takerFeePct: config.paper.takerFeePct,
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
