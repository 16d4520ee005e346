/**
 * Secret redaction. Every secret the bot learns (API key and secret, bot tokens) is registered
 * here once; the logger, the alert router and error reporting pass text through `redact` so a
 * secret can never reach a log line, a notification or test output (bybit-api's errors embed the
 * secret; STYLE point 10).
 */
const secrets = new Set<string>();

/** Registers a secret. Very short values are ignored: they would redact ordinary words. */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < 6) return;
  secrets.add(value);
  // A secret inside a URL appears percent-encoded.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
  sorted = null;
}

/** Longest first, so a secret that contains another is replaced whole. */
let sorted: string[] | null = null;

export function clearSecretsForTest(): void {
  secrets.clear();
  sorted = null;
}

/** Patterns that look like credentials even when they were never registered. */
const PATTERNS: readonly [RegExp, string][] = [
  [/("?(?:api_?secret|apiSecret|secret|X-BAPI-SIGN|sign|signature|token|botToken)"?\s*[:=]\s*"?)((?!\[)[^"\s,&}]{6,})/gi, '$1[REDACTED]'],
  [/(\/bot)(\d+:[A-Za-z0-9_-]{20,})/g, '$1[REDACTED]'],
];

export function redact(text: string): string {
  let out = text;
  sorted ??= [...secrets].sort((a, b) => b.length - a.length);
  for (const s of sorted) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}
