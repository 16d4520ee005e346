/**
 * The key checks' "Fix:" words (./doctorKey.ts) name the main key's places (`init`,
 * BYBIT_API_KEY); for a refused mirror key (issue 24) they name the mirror's own instead.
 */
const WHERE = 'BYBIT_MIRROR_API_KEY / BYBIT_MIRROR_API_SECRET, or "mirrorApiKey" / "mirrorApiSecret" in <stateDir>/secrets.json (init writes the main key only)';

export function mirrorKeyFix(fix: string): string {
  const out = fix.replace(/store (it|them|the new one) with:? node dist\/bot\.js init( \(or BYBIT_API_KEY \/ BYBIT_API_SECRET\))?/, (_m, what: string) => `store ${what} as ${WHERE}`);
  if (!/\binit\b|BYBIT_API_KEY/.test(out.replace(WHERE, ''))) return out;
  // Words this does not know yet: the sentences naming the main key's places give way to the mirror's.
  const kept = out.split(/(?<=\.)\s+/).filter((sentence) => !/\binit\b|BYBIT_API_KEY/.test(sentence));
  return [...kept, `Store the mirror's key as ${WHERE}.`].join(' ');
}
