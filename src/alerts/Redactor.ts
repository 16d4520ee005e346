/**
 * Per-router secret redaction. Callers register the secrets they hand to channels (Telegram token,
 * webhook URL, API keys); every alert field and every log line the router writes passes through
 * `redact` (STYLE point 10: secrets never reach a notification, a log or an error). The shared
 * pattern-based pass in util/redact runs too, so a token shaped like a Telegram one is caught even
 * when nobody registered it.
 */
import { redact as redactPatterns } from '../util/redact.js';

export const REDACTED = '[REDACTED]';

export class Redactor {
  readonly #secrets = new Set<string>();

  constructor(secrets: readonly (string | null | undefined)[] = []) {
    for (const s of secrets) this.add(s);
  }

  /** Registers a secret and its URL-encoded form (a token inside a URL is encoded). Short values
   * (under 4 characters) are ignored: they would redact ordinary words. */
  add(secret: string | null | undefined): void {
    if (!secret || secret.length < 4) return;
    this.#secrets.add(secret);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) this.#secrets.add(encoded);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is replaced whole.
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    return redactPatterns(out);
  }
}
