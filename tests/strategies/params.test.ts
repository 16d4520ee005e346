/** The strategies' parameter schemas, which the config loader embeds per symbol (issue 5). */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAKER_PARAMS, makerParamsSchema } from '../../src/strategies/makerParams.js';
import { DEFAULT_SCALPER_PARAMS, scalperParamsSchema } from '../../src/strategies/scalperParams.js';

function firstIssue(schema: typeof scalperParamsSchema | typeof makerParamsSchema, input: unknown): string {
  const r = v.safeParse(schema, input);
  expect(r.success).toBe(false);
  const issue = r.issues![0];
  return `${issue.path?.map((p) => String(p.key)).join('.')}: ${issue.message}`;
}

describe('scalperParamsSchema', () => {
  it('fills every default from an empty object (the defaults of the original scalper)', () => {
    expect(v.parse(scalperParamsSchema, {})).toEqual({
      pivotLeft: 2, pivotRight: 1, rsiLength: 14, stochLength: 14, kSmoothing: 3, dSmoothing: 3, oversold: 20, overbought: 80,
      proximityPct: 0.3, cooldownCandles: 3, volumeFilter: false, volumeFactor: 1.5, volumeLength: 20, stopMode: 'pivot',
      stopBufferPct: 0.1, atrLength: 14, atrMultiple: 1.5, takeProfitR: [1, 2, 3, 4],
    });
    expect(DEFAULT_SCALPER_PARAMS).toEqual(v.parse(scalperParamsSchema, {}));
    expect(Object.isFrozen(DEFAULT_SCALPER_PARAMS) && Object.isFrozen(DEFAULT_SCALPER_PARAMS.takeProfitR)).toBe(true);
  });

  it('keeps given values and does not share the default ladder between parses', () => {
    const a = v.parse(scalperParamsSchema, { proximityPct: 0.5, stopMode: 'atr' });
    expect(a.proximityPct).toBe(0.5);
    expect(a.stopMode).toBe('atr');
    a.takeProfitR.push(9);
    expect(v.parse(scalperParamsSchema, {}).takeProfitR).toEqual([1, 2, 3, 4]);
  });

  it('names the key and the expected form on a bad value', () => {
    expect(firstIssue(scalperParamsSchema, { pivotLeft: 0 })).toBe('pivotLeft: must be at least 1');
    expect(firstIssue(scalperParamsSchema, { rsiLength: 14.5 })).toBe('rsiLength: must be a whole number');
    expect(firstIssue(scalperParamsSchema, { proximityPct: 0 })).toBe('proximityPct: must be greater than 0');
    expect(firstIssue(scalperParamsSchema, { oversold: 'low' })).toBe('oversold: must be a number');
    expect(firstIssue(scalperParamsSchema, { stopMode: 'trailing' })).toBe('stopMode: must be "pivot" or "atr"');
    expect(firstIssue(scalperParamsSchema, { volumeFilter: 'yes' })).toBe('volumeFilter: must be true or false');
    expect(firstIssue(scalperParamsSchema, { takeProfitR: [2, 1] })).toBe('takeProfitR: must be strictly increasing (nearest target first)');
    expect(firstIssue(scalperParamsSchema, { takeProfitR: [] })).toBe('takeProfitR: must hold at least one R multiple');
  });

  it('rejects unknown keys (a typo must not silently fall back to a default)', () => {
    expect(v.safeParse(scalperParamsSchema, { proximityPtc: 0.5 }).success).toBe(false);
  });
});

describe('makerParamsSchema', () => {
  it('fills every default from an empty object', () => {
    const d = v.parse(makerParamsSchema, {});
    expect(d).toEqual(DEFAULT_MAKER_PARAMS);
    expect(d).toMatchObject({ orderQty: 0.001, levels: 1, volWindow: 30, maxInventory: 5, inventoryStopPct: 1, refreshTolerancePct: 0.02 });
    expect(Object.keys(d).sort()).toEqual(
      ['gamma', 'inventoryStopPct', 'levelSpacingPct', 'levels', 'maxBookAgeMs', 'maxInventory', 'maxQuoteAgeMs', 'minSpreadPct', 'orderQty', 'refreshTolerancePct', 'stopPauseMs', 'volK', 'volWindow'],
    );
  });

  it('names the key and the expected form on a bad value', () => {
    expect(firstIssue(makerParamsSchema, { orderQty: 0 })).toBe('orderQty: must be greater than 0');
    expect(firstIssue(makerParamsSchema, { levels: 11 })).toBe('levels: must be at most 10');
    expect(firstIssue(makerParamsSchema, { volWindow: 1 })).toBe('volWindow: must be at least 2');
    expect(v.safeParse(makerParamsSchema, { spread: 1 }).success).toBe(false);
  });
});
