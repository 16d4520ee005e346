/** The bounded memory of execution ids behind fill de-duplication. */
import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../../src/exchange/bybit/recentIds.js';

describe('RecentIds', () => {
  it('says whether an id is new, and forgets the oldest beyond its cap', () => {
    const ids = new RecentIds(3);
    expect(['a', 'b', 'a', 'c'].map((id) => ids.add(id))).toEqual([true, true, false, true]);
    expect(ids.add('d'), 'a fourth id pushes out "a"').toBe(true);
    expect(ids.add('a'), '"a" was forgotten').toBe(true);
    expect(ids.add('c'), '"c" is still remembered').toBe(false);
  });
});
