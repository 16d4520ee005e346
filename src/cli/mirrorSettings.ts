/**
 * The mirror account's engine settings (issue 24): the main configuration's scalper symbols (a
 * market maker's quotes are not copied), with strategies that never decide, since the mirror
 * enters only when the main account did.
 */
import type { Config } from '../config/schema.js';
import type { EngineSettings, EngineSymbolSettings } from '../engine/ports.js';
import type { Strategy } from '../strategies/strategy.js';
import { engineSettingsFrom } from './wiring.js';

/**
 * A filled main entry is copied at market, whatever `entry.type` main uses: a resting post-only
 * copy could time out or be refused as crossing and miss an entry main took. `live`: a copy still
 * open keeps its own sizing and exits (a late copy's ladder) through a hot reload until it closes.
 */
export function mirrorSettings(config: Config, live: ReadonlyMap<string, Pick<EngineSymbolSettings, 'sizing' | 'exits'>> = new Map()): EngineSettings {
  const all = engineSettingsFrom(config);
  const market = (s: EngineSymbolSettings): EngineSymbolSettings => ({ ...s, entry: { type: 'market', offsetPct: 0, timeoutCandles: s.entry?.timeoutCandles ?? 3 }, ...live.get(s.symbol) });
  return { ...all, symbols: all.symbols.filter((s) => s.strategy === 'scalper').map(market) };
}

/** Strategies that never decide, one per symbol. */
export function copiers(settings: EngineSettings): Map<string, Strategy> {
  return new Map(settings.symbols.map((s) => [s.symbol, { name: s.strategy, symbol: s.symbol, warmupCandles: 0, onCandle: () => null, onBook: () => null }]));
}
