/** A Bybit API key and its secret. Both are registered with util/redact.ts before any use. */
export interface BybitCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}
