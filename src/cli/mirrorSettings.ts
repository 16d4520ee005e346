/**
 * The mirror account's engine settings (issue 24): the main configuration's scalper symbols (a
 * market maker's quotes are not copied), with strategies that never decide, since the mirror
 * enters only when the main account did.
 */
import type { Config } from '../config/schema.js';
import type { EngineSettings } from '../engine/ports.js';
import type { Strategy } from '../strategies/strategy.js';
import { engineSettingsFrom } from './wiring.js';

export function mirrorSettings(config: Config): EngineSettings {
  const all = engineSettingsFrom(config);
  return { ...all, symbols: all.symbols.filter((s) => s.strategy === 'scalper') };
}

/** Strategies that never decide, one per symbol. */
export function copiers(settings: EngineSettings): Map<string, Strategy> {
  return new Map(settings.symbols.map((s) => [s.symbol, { name: s.strategy, symbol: s.symbol, warmupCandles: 0, onCandle: () => null, onBook: () => null }]));
}
